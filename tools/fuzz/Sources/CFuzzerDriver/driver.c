#include <stddef.h>
#include <stdint.h>
#include "CFuzzerDriver.h"

// Defined by each fuzz target (Swift, @_cdecl) and by libFuzzer (-sanitize=fuzzer).
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int authledger_fuzzer_driver(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
