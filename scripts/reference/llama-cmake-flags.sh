# The CMake flags llama.cpp is built with here (sourced by scripts/lib/llama-build.sh, scripts/bench-reference.sh and
# scripts/bench-servers.sh): the instruction sets this processor has, read from /proc/cpuinfo, each named explicitly.
# Not GGML_NATIVE: on Intel processors with AMX it also enables ggml's AMX backend, which repacks the Q4_1 weights
# and crashed in llama_decode (observed with a native build); AMX stays off. AVX-512 is enabled only where the
# processor has it (a build with it dies with an illegal instruction on, say, a Zen 3).
llama_cpu_flags=" $(grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
llama_flag() { case "$llama_cpu_flags" in *" $2 "*) echo "-D$1=ON" ;; *) echo "-D$1=OFF" ;; esac; }
LLAMA_CMAKE_FLAGS="-DGGML_NATIVE=OFF $(llama_flag GGML_AVX avx) $(llama_flag GGML_AVX2 avx2) $(llama_flag GGML_FMA fma) \
$(llama_flag GGML_F16C f16c) $(llama_flag GGML_AVX_VNNI avx_vnni) $(llama_flag GGML_AVX512 avx512f) \
$(llama_flag GGML_AVX512_VBMI avx512_vbmi) $(llama_flag GGML_AVX512_VNNI avx512_vnni) \
$(llama_flag GGML_AVX512_BF16 avx512_bf16) -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
-DGGML_AMX_BF16=OFF -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_HIP=OFF -DGGML_BLAS=OFF -DLLAMA_CURL=OFF"
unset -f llama_flag
