"""`python -m virtc.grammar`: rebuild the shipped parser tables (virtc.lalr) from
virtc.lark, after changing the grammar or the Lark version."""
from pathlib import Path

from virtc.grammar import TABLES, read_stamp, write_tables

path = Path(__file__).with_name(TABLES)
write_tables(path)
print(f"wrote {path} ({path.stat().st_size:,} bytes): {read_stamp()}")
