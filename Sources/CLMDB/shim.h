#ifndef AUTHLEDGER_CLMDB_SHIM_H
#define AUTHLEDGER_CLMDB_SHIM_H
#include <lmdb.h>
#endif
