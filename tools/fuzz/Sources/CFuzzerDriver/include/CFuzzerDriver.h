#ifndef AUTHLEDGER_FUZZER_DRIVER_H
#define AUTHLEDGER_FUZZER_DRIVER_H

/// Runs libFuzzer over this executable's LLVMFuzzerTestOneInput with the command line's
/// options, as libFuzzer's own main would.
int authledger_fuzzer_driver(int argc, char **argv);

#endif
