#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""idd(7) DEVICE ARGUMENTS against the drivers: every key a driver's probe
reads (src/drivers/NAME/*_probe.c, and the group keys of
group_dev_parse_args() for a driver that calls it) is listed under
"Arguments of the NAME driver", and nothing else is.

Usage: check_device_args.py IDD_7 SOURCE_ROOT
"""

import glob
import os
import re
import sys

KEY_READ = re.compile(r'kvargs_get\w*\(\s*args,\s*"(\w+)"')


def driver_keys(root):
    group_c = open(os.path.join(root, "src", "group", "group.c")).read()
    group_fn = group_c[group_c.index("\ngroup_dev_parse_args("):]
    group_keys = set(KEY_READ.findall(group_fn[:group_fn.index("\n}\n")]))
    keys = {}
    for probe in glob.glob(os.path.join(root, "src", "drivers", "*", "*_probe.c")):
        text = open(probe).read()
        found = set(KEY_READ.findall(text))
        if "group_dev_parse_args(" in text:
            found |= group_keys
        keys[os.path.basename(os.path.dirname(probe))] = found
    return keys


def page_keys(page):
    """{driver: keys} from the page's "Arguments of the .B NAME driver"
    paragraphs: the .TP items up to the next .PP or .SH."""
    text = open(page).read()
    keys = {}
    for m in re.finditer(r"^Arguments of the\n\.B (\w+)\ndriver", text, re.M):
        section = re.split(r"^\.(?:PP|SH)\b", text[m.end():], maxsplit=1, flags=re.M)[0]
        keys[m.group(1)] = set(re.findall(r"^\.TP\n\.B[IR]? (\w+)=", section, re.M))
    return keys


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    code, page = driver_keys(argv[2]), page_keys(argv[1])
    bad = False
    for drv in sorted(set(code) | set(page)):
        missing = code.get(drv, set()) - page.get(drv, set())
        extra = page.get(drv, set()) - code.get(drv, set())
        if missing:
            print(f"idd(7): driver {drv}: not documented: {', '.join(sorted(missing))}")
        if extra:
            print(f"idd(7): driver {drv}: documented, not read by the driver: "
                  f"{', '.join(sorted(extra))}")
        bad = bad or bool(missing or extra)
    if bad:
        return 1
    print(f"idd(7) device arguments match the drivers: {', '.join(sorted(code))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
