#include <cblas.h>

// OpenBLAS's dynamic-architecture entry points, exported by the library Debian builds (DYNAMIC_ARCH): the first
// forgets the kernels chosen for this processor, the second chooses them again (reading OPENBLAS_CORETYPE).
void gotoblas_dynamic_quit(void);
void gotoblas_dynamic_init(void);
