"""`python -m demo`: rehearse a whole event offline, with the real bot and no Telegram.

`run_demo(output_dir)` starts a local Bot API emulator and `python -m bot`
against it, plays a scripted morning of a small conference (the sample files
in `demo/samples/`) and leaves the reports, QR ZIPs and a transcript in
`output_dir`.
"""

from demo.run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
