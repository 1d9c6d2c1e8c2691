#!/usr/bin/env bash
# Debian packages the project needs: Tesseract with the language packs of our 15 languages (OCR of images), a
# font with Ethiopic letters (the OCR tests render Amharic and Tigrinya), and Chromium (the console's browser tests). Installed only when running as root and
# something is missing; otherwise prints what to install and carries on (the text pipeline needs none of them).
set -euo pipefail
needed=()
command -v tesseract >/dev/null 2>&1 || needed+=(tesseract-ocr)
for lang in ara fas pus urd sqi vie tur fra spa amh tir kmr; do
  dpkg -s "tesseract-ocr-$lang" >/dev/null 2>&1 || needed+=("tesseract-ocr-$lang")
done
dpkg -s fonts-sil-abyssinica >/dev/null 2>&1 || needed+=(fonts-sil-abyssinica)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || needed+=(fonts-dejavu-core)
[ -x /usr/bin/chromium ] || needed+=(chromium)
if [ ${#needed[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${needed[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${needed[@]}" >/dev/null
else
  echo "note: not root, not installing ${needed[*]} (needed for OCR); install them with apt-get" >&2
fi
