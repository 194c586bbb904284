"""Shipped knowledge packs (CSV folders) and the generator of the illustrative national pack."""
