from medaudit.cli import main

main()
