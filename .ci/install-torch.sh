#!/bin/sh
# Install the pinned torch into the venv whose pip is $1, the build this machine can use:
# - an NVIDIA GPU present (nvidia-smi lists one, or the driver is loaded): the CUDA build,
#   PyPI's default for Linux x86_64, so the kernel can decode on the GPU;
# - none: the CPU build from PyTorch's CPU wheel index (about 200 MB instead of several GB
#   of CUDA libraries the daemon would never load);
# - that index unreachable (an offline mirror, a proxy that only passes PyPI): whatever
#   pip finds for the pin, as `pip install torch==VERSION` always did.
# Already installed at the pin: nothing is downloaded (pip checks what is there first).
set -eu
pip="$1"
version="${TORCH_VERSION:-2.13.0}"
cpu_index="${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"
if nvidia-smi -L >/dev/null 2>&1 || [ -e /proc/driver/nvidia/version ]; then
  echo "torch $version: an NVIDIA GPU is present: the CUDA build"
  exec "$pip" install --quiet "torch==$version"
fi
if "$pip" install --quiet --retries 1 --timeout 20 --index-url "$cpu_index" \
    "torch==$version"; then
  echo "torch $version: no NVIDIA GPU: the CPU build ($cpu_index)"
else
  echo "torch $version: $cpu_index did not answer: the build pip finds for the pin"
  "$pip" install --quiet "torch==$version"
fi
