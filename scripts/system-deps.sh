#!/bin/sh
# Debian packages the bot needs besides Python's: the zbar library (pyzbar) and
# the fonts badges and posters are drawn with (bot/fonts.py): fonts-dejavu-core
# for Latin with diacritics, Greek and Cyrillic (3 MB), fonts-droid-fallback for
# Chinese, Japanese and Korean (7 MB). Installed with apt when we are root;
# otherwise say exactly what to run. Nothing else is installed here.
missing=""
if ! ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0'; then
    missing="libzbar0"
fi
# The same font files bot/fonts.py looks for: any one of each group will do.
fonts=/usr/share/fonts
if [ ! -f $fonts/truetype/dejavu/DejaVuSans.ttf ] && [ ! -f $fonts/truetype/noto/NotoSans-Regular.ttf ]; then
    missing="$missing fonts-dejavu-core"
fi
if [ ! -f $fonts/truetype/droid/DroidSansFallbackFull.ttf ] && [ ! -f $fonts/opentype/noto/NotoSansCJK-Regular.ttc ] \
    && [ ! -f $fonts/truetype/wqy/wqy-zenhei.ttc ]; then
    missing="$missing fonts-droid-fallback"
fi
missing="${missing# }"
if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing $missing..."
    # shellcheck disable=SC2086  # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null; } \
        || { echo "Could not install $missing with apt-get."; exit 1; }
    exit 0
fi
echo "System packages are missing: $missing (pyzbar needs libzbar0; badges and posters need the fonts)."
echo "Install them as root:  sudo apt-get install $missing"
exit 1
