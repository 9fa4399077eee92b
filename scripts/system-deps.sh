#!/bin/sh
# The Debian packages a make target needs besides Python's, and nothing more:
#
#   sh scripts/system-deps.sh run    # the bot (make run, make bench)
#   sh scripts/system-deps.sh test   # the bot and the browser tests (make test, make demo)
#
# The bot needs the zbar library (pyzbar) and the fonts badges and posters are
# drawn with (bot/files/fonts.py): fonts-dejavu-core for Latin with diacritics,
# Greek and Cyrillic (3 MB), fonts-droid-fallback for Chinese and Japanese
# (7 MB), fonts-nanum for Korean. The browser tests (tests/browser.py) and the demo's Mini App
# scene also need Debian's chromium and chromium-driver, so no browser is ever
# downloaded at run time; the bot does not, so `run` never installs them.
# Installed with apt when we are root (one apt-get install; apt-get update once
# if that fails); otherwise say exactly what to run.
mode="${1:-run}"
case "$mode" in
    run|test) ;;
    *) echo "usage: sh scripts/system-deps.sh run|test"; exit 2 ;;
esac
missing=""
if ! ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0'; then
    missing="libzbar0"
fi
# The same font files bot/files/fonts.py looks for: any one of each group will do.
fonts=/usr/share/fonts
if [ ! -f $fonts/truetype/dejavu/DejaVuSans.ttf ] && [ ! -f $fonts/truetype/noto/NotoSans-Regular.ttf ]; then
    missing="$missing fonts-dejavu-core"
fi
if [ ! -f $fonts/truetype/droid/DroidSansFallbackFull.ttf ] && [ ! -f $fonts/opentype/noto/NotoSansCJK-Regular.ttc ] \
    && [ ! -f $fonts/truetype/wqy/wqy-zenhei.ttc ]; then
    missing="$missing fonts-droid-fallback"
fi
if [ ! -f $fonts/truetype/nanum/NanumGothic.ttf ] && [ ! -f $fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then
    missing="$missing fonts-nanum"  # Korean: Droid's fallback font has no Hangul syllables
fi
missing="${missing# }"
# The same paths tests/browser.py drives.
browser=""
if [ "$mode" = "test" ]; then
    [ -x /usr/bin/chromium ] || browser="chromium"
    [ -x /usr/bin/chromedriver ] || browser="$browser chromium-driver"
    browser="${browser# }"
fi
all="${missing:+$missing }$browser"
all="${all% }"
if [ -z "$all" ]; then
    exit 0
fi
install() {
    # shellcheck disable=SC2086  # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $1 >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $1 >/dev/null; }
}
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing $all..."
    if install "$all"; then
        exit 0
    fi
    # Perhaps only the browser is not to be had: the bot's own packages alone may still install.
    if [ -n "$missing" ] && ! install "$missing"; then
        echo "Could not install $missing with apt-get."
        exit 1
    fi
    echo "Could not install $browser with apt-get: the browser tests cannot run (the bot does not need them)."
    exit 0
fi
if [ -n "$missing" ]; then
    echo "System packages are missing: $all (pyzbar needs libzbar0; badges and posters need the fonts${browser:+; the browser tests need $browser})."
    echo "Install them as root:  sudo apt-get install $all"
    exit 1
fi
echo "The browser tests need $browser (they are skipped without, except under CI; the bot does not need them)."
echo "Install them as root:  sudo apt-get install $browser"
exit 0
