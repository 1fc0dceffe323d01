package alloc

import "embed"

// CSource holds the engine's plain-C source, which has no Go dependency: the
// op stream (ops.h, ops_*.c; replay.h for the layout of a replay's ops) and the allocator introspection (introspect.h,
// introspect.c, elfsym.h, elfsym.c), so that a standalone C program
// (alloc/cref) can be compiled from exactly the code the engine runs.
//
//go:embed ops.h replay.h ops_churn.c ops_dist.c ops_engine.c ops_file.c ops_select.c introspect.h introspect.c elfsym.h elfsym.c
var CSource embed.FS

// CSourceFiles lists the .c files of CSource in build order; a program built
// from them links with -ldl -lpthread -lm.
var CSourceFiles = []string{"ops_churn.c", "ops_dist.c", "ops_engine.c", "ops_file.c", "ops_select.c", "elfsym.c", "introspect.c"}
