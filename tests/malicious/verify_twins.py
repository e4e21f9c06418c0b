#!/usr/bin/env python3
"""Proves each round-two technique works against the real loader: loads every ROUND_TWO file of generate.py with
torch.load(weights_only=False) and checks that its effect happened. The payloads only create marker files named
/tmp/ptsharp-pwned-<case>* (or set one attribute on a module), so running them is harmless.

    /usr/bin/python3 tests/malicious/verify_twins.py            (torch 1.13)
    bash tools/oracle.sh 2.6 tests/malicious/verify_twins.py    (torch 2.6)

Prints one JSON object: file -> "ok" or why not.
"""
import glob
import json
import os
import sys
import tempfile

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import generate  # noqa: E402

# somepkg.helpers.run_it exists nowhere: the twin defines it (it runs the shell command it is given).
pkg = tempfile.mkdtemp(prefix="ptsharp-twin-")
os.makedirs(os.path.join(pkg, "somepkg"))
open(os.path.join(pkg, "somepkg", "__init__.py"), "w").close()
with open(os.path.join(pkg, "somepkg", "helpers.py"), "w") as f:
    f.write("import os\n\ndef run_it(cmd):\n    return os.system(cmd)\n")
sys.path.insert(0, pkg)

result = {}
for c in generate.ROUND_TWO:
    name = os.path.splitext(c["file"])[0]
    for m in glob.glob(generate.MARKER + name + "*"):
        os.remove(m)
    error = None
    try:
        if c["file"].endswith(".npy"):  # numpy's own loader is the one that runs an object array's pickle
            import numpy
            numpy.load(os.path.join(here, c["file"]), allow_pickle=True)
        else:
            torch.load(os.path.join(here, c["file"]), weights_only=False)
    except Exception as e:  # the payload may run before the load fails
        error = f"{type(e).__name__}: {e}"
    if name == "build_patches_module":
        import email.utils
        happened = getattr(email.utils, "ptsharp_pwned_build", False) is True
    else:
        happened = bool(glob.glob(generate.MARKER + name + "*"))
        for m in glob.glob(generate.MARKER + name + "*"):
            os.remove(m)
    result[c["file"]] = "ok" if happened else f"no effect ({error})"
print(json.dumps({"torch": torch.__version__, "results": result}, indent=1))
