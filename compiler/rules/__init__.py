"""The rules: one module per checklist area of the guide (storage, network, migration
...), lint's own rules about reading files (lintfile, convertfile), and what every rule
is built on (base). The registry of all of them, with each file format's rules, is
virtc.ruleset."""
