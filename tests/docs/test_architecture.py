#!/usr/bin/env python3
"""docs/architecture.md maps the house: it names every header under src/ and plugin/ and every folder of src/, and
names no header that does not exist. Prints the plain 'N passed, N failed' line; exits non-zero on a failure."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else '.')
page = (root / 'docs' / 'architecture.md').read_text()
named = set(re.findall(r'\b([a-z0-9_]+\.(?:hpp|h))\b', page))
headers = {p.name: p.relative_to(root) for d in ('src', 'plugin') for p in (root / d).rglob('*') if p.suffix in ('.h', '.hpp')}
folders = sorted(p.relative_to(root) for p in (root / 'src').iterdir() if p.is_dir())

failures = []
for name, where in sorted(headers.items()):
    if name not in named:
        failures.append(f'{where} is not on docs/architecture.md: say what it is and where it sits')
for name in sorted(named - set(headers)):
    failures.append(f'docs/architecture.md names {name}, which is no header under src/ or plugin/')
for folder in folders:
    if f'`{folder}/`' not in page:
        failures.append(f'docs/architecture.md does not name the folder `{folder}/`')

checks = len(headers) + len(named) + len(folders)
for f in failures:
    print('FAIL:', f)
print(f'{checks - len(failures)} passed, {len(failures)} failed')
sys.exit(1 if failures else 0)
