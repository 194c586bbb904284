# ruff: noqa: E501
"""Source tables of the charging-rule knowledge in the illustrative national pack (see build_charging.py).

Illustrative, NOT a legal catalogue: consumable codes are shaped like the 27-character 国家医保医用耗材
编码 (a 12-character classification + generic-name prefix here), levels, quantity limits and surgery
groups are plausible examples modelled on published rule types (MediModel 规则_项目关联 / 规则_项目虚记,
第二批主次手术 groups), not any region's official list.
"""

# consumable: PREFIX NAME GENERIC UNIT HIGH_VALUE REF_PRICE(yuan) [max=<per encounter>] [requires=<item|item>@day|encounter]
CONSUMABLES = """
C14010100101 冠状动脉药物洗脱支架 冠脉支架 个 1 5900.00 max=4 requires=经皮冠状动脉内支架置入术(PCI)@encounter
C14010200201 冠状动脉球囊扩张导管 球囊扩张导管 根 1 1800.00 max=4 requires=经皮冠状动脉内支架置入术(PCI)|冠状动脉造影术@encounter
C02030100301 一次性使用喉罩 喉罩 个 0 120.00 max=2 requires=全身麻醉@day
C09010100501 人工晶体(折叠式) 人工晶体 片 1 1500.00 max=2 requires=人工晶体植入术@day
C11020100701 可吸收止血夹 止血夹 个 0 80.00 max=20
C10030100801 一次性使用医用缝合针线 缝合线 包 0 25.00 max=30
C03040110000 一次性使用无菌注射器 注射器 支 0 0.50
"""

# item-level: ITEM_NAME MIN_LEVEL NOTE   (医疗服务项目限医疗机构级别: lower levels cannot perform the item)
ITEM_LEVELS = """
正电子发射计算机断层显像(PET-CT) 3 限三级医疗机构开展
肝部分切除术 3 限三级医疗机构开展
经皮冠状动脉内支架置入术(PCI) 2 限二级及以上医疗机构开展
冠状动脉造影术 2 限二级及以上医疗机构开展
永久心脏起搏器置入术 2 限二级及以上医疗机构开展
人工全膝关节置换术 2 限二级及以上医疗机构开展
连续性肾脏替代治疗(CRRT) 2 限二级及以上医疗机构开展
冠状动脉CT血管成像(CTA) 2 限二级及以上医疗机构开展
磁共振血管成像(MRA) 2 限二级及以上医疗机构开展
"""

# surgery: ITEM_NAME GROUP   (经同一切口/入路的同组手术：第二及以后的手术按折率计收)
SURGERIES = """
胆囊切除术 肝胆
肝部分切除术 肝胆
阑尾切除术 胃肠
胃大部切除术 胃肠
腹腔镜阑尾切除术 腹腔镜
腹腔镜胆囊切除术 腹腔镜
包皮环切术 男性生殖
睾丸鞘膜翻转术 男性生殖
输精管结扎术 男性生殖
经腹全子宫切除术 女性生殖
剖宫产术 女性生殖
"""
