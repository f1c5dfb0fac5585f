# Builds llama.cpp's tools from the llama-cpp-python 0.3.36 source distribution on PyPI (about 10 minutes the first
# time), with the CMake flags of scripts/reference/llama-cmake-flags.sh, into DIR/llama.cpp/build/bin.
#
#   source scripts/lib/llama-build.sh; build_llama_tools DIR TARGET...
build_llama_tools() {
  local dir=$1; shift
  local missing=0 target
  for target in "$@"; do [ -x "$dir/llama.cpp/build/bin/$target" ] || missing=1; done
  [ "$missing" = 0 ] && return 0
  echo "building $* from the llama-cpp-python 0.3.36 sdist (about 10 minutes)..." >&2
  mkdir -p "$dir"
  if [ ! -f "$dir/llama.cpp/CMakeLists.txt" ]; then
    python3 -m pip download llama-cpp-python==0.3.36 --no-deps --no-binary llama-cpp-python -d "$dir" >&2
    tar xzf "$dir/llama_cpp_python-0.3.36.tar.gz" -C "$dir"
    rm -rf "$dir/llama.cpp" && mv "$dir/llama_cpp_python-0.3.36/vendor/llama.cpp" "$dir/llama.cpp"
  fi
  command -v cmake >/dev/null || python3 -m pip install cmake >&2
  # shellcheck source=../reference/llama-cmake-flags.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../reference/llama-cmake-flags.sh"
  # shellcheck disable=SC2086 # the flags are words
  cmake -S "$dir/llama.cpp" -B "$dir/llama.cpp/build" -DCMAKE_BUILD_TYPE=Release $LLAMA_CMAKE_FLAGS -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON >&2
  cmake --build "$dir/llama.cpp/build" --target "$@" -j2 >&2
}
