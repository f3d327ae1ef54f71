#!/bin/sh
# The architecture src/LAYERS promises (see tests/structure/check_layers.py).
exec python3 "${TOP_SRCDIR:-.}/tests/structure/check_layers.py" "${TOP_SRCDIR:-.}"
