/* elfsym.h: looking a symbol up in one loaded object's dynamic symbol table,
 * without dlsym (which allocates an error string for every miss). */
#ifndef MEMSTORM_ELFSYM_H
#define MEMSTORM_ELFSYM_H
#include <link.h>

/* The dynamic symbol tables of one loaded object. */
typedef struct ms_elf {
	ElfW(Addr) base;
	const ElfW(Sym) *symtab;
	const char *strtab;
	const ElfW(Half) *versym; /* NULL without symbol versioning */
	const uint32_t *gnu_hash; /* DT_GNU_HASH, or NULL */
	const ElfW(Word) *sysv_hash; /* DT_HASH, or NULL */
} ms_elf;

/* Reads an object's tables from its program headers; 0 when it has none. */
int ms_elf_open(ms_elf *e, const struct dl_phdr_info *info);
/* The address of a function or object the object itself defines under its
 * default version; NULL when it does not (or only as an IFUNC). */
void *ms_elf_sym(const ms_elf *e, const char *name);
#endif
