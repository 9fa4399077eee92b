#!/bin/sh
# pyzbar needs the zbar shared library. Install it with apt when we are root;
# otherwise say exactly what to run. Nothing else is installed here.
if ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0'; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing libzbar0 (needed by pyzbar)..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libzbar0 >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libzbar0 >/dev/null; } \
        || { echo "Could not install libzbar0 with apt-get."; exit 1; }
    exit 0
fi
echo "The system library libzbar0 is missing (pyzbar needs it)."
echo "Install it as root:  sudo apt-get install libzbar0"
exit 1
