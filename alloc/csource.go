package alloc

import "embed"

// CSource holds the engine's plain-C op-stream source (ops.h and ops_*.c),
// which has no Go dependency, so that a standalone C program (alloc/cref) can
// be compiled from exactly the code the engine runs.
//
//go:embed ops.h ops_churn.c ops_dist.c ops_engine.c ops_select.c
var CSource embed.FS

// CSourceFiles lists the .c files of CSource in build order.
var CSourceFiles = []string{"ops_churn.c", "ops_dist.c", "ops_engine.c", "ops_select.c"}
