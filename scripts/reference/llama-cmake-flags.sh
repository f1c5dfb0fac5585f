# The CMake flags llama.cpp is built with here (sourced by scripts/bench-reference.sh and scripts/bench-servers.sh).
# Not GGML_NATIVE: on this CPU it also enables ggml's AMX backend, which repacks the Q4_1 weights and crashes in
# llama_decode on this machine (observed with a native build). AVX-512 is enabled explicitly.
LLAMA_CMAKE_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON \
-DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
-DGGML_AMX_BF16=OFF -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_HIP=OFF -DGGML_BLAS=OFF -DLLAMA_CURL=OFF"
