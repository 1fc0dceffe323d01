/* elfsym.c: symbol lookup in a loaded object through its DT_GNU_HASH or DT_HASH table. */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include "elfsym.h"

/* glibc relocates the pointers of a writable .dynamic in place; the vDSO's
 * stay offsets. An address below the load base is therefore an offset. */
static ElfW(Addr) addr(const ms_elf *e, ElfW(Addr) p) { return p < e->base ? p + e->base : p; }

int ms_elf_open(ms_elf *e, const struct dl_phdr_info *info)
{
	memset(e, 0, sizeof *e);
	e->base = info->dlpi_addr;
	const ElfW(Dyn) *dyn = NULL;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	if (!dyn)
		return 0;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			e->symtab = (const ElfW(Sym) *)addr(e, dyn->d_un.d_ptr);
			break;
		case DT_STRTAB:
			e->strtab = (const char *)addr(e, dyn->d_un.d_ptr);
			break;
		case DT_VERSYM:
			e->versym = (const ElfW(Half) *)addr(e, dyn->d_un.d_ptr);
			break;
		case DT_GNU_HASH:
			e->gnu_hash = (const uint32_t *)addr(e, dyn->d_un.d_ptr);
			break;
		case DT_HASH:
			e->sysv_hash = (const ElfW(Word) *)addr(e, dyn->d_un.d_ptr);
			break;
		}
	}
	return e->symtab && e->strtab && (e->gnu_hash || e->sysv_hash);
}

/* Symbol i if it is the defined, default-version `name`. */
static void *match(const ms_elf *e, uint32_t i, const char *name)
{
	const ElfW(Sym) *s = &e->symtab[i];
	int type = s->st_info & 0xf, bind = s->st_info >> 4; /* ELF32_ST_TYPE and _BIND, the same for ELF64 */
	if (s->st_shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_OBJECT))
		return NULL;
	if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
		return NULL;
	if (e->versym && (e->versym[i] & 0x8000)) /* a hidden, non-default version */
		return NULL;
	if (strcmp(e->strtab + s->st_name, name) != 0)
		return NULL;
	return (void *)(e->base + s->st_value);
}

static void *gnu_lookup(const ms_elf *e, const char *name)
{
	uint32_t h = 5381;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = h * 33 + *c;
	const uint32_t *t = e->gnu_hash;
	uint32_t nbuckets = t[0], symoffset = t[1], bloom_size = t[2], bloom_shift = t[3];
	if (!nbuckets || !bloom_size)
		return NULL;
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)&t[4];
	const uint32_t *buckets = (const uint32_t *)&bloom[bloom_size];
	const uint32_t *chain = &buckets[nbuckets];
	const unsigned bits = sizeof(ElfW(Addr)) * 8;
	ElfW(Addr) word = bloom[(h / bits) % bloom_size];
	ElfW(Addr) mask = ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> bloom_shift) % bits));
	if ((word & mask) != mask)
		return NULL;
	uint32_t i = buckets[h % nbuckets];
	if (i < symoffset)
		return NULL;
	for (;; i++) {
		uint32_t c = chain[i - symoffset];
		if ((c | 1) == (h | 1)) {
			void *p = match(e, i, name);
			if (p)
				return p;
		}
		if (c & 1)
			return NULL;
	}
}

static void *sysv_lookup(const ms_elf *e, const char *name)
{
	uint32_t h = 0;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		h = (h << 4) + *c;
		uint32_t g = h & 0xf0000000;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	const ElfW(Word) *t = e->sysv_hash;
	ElfW(Word) nbucket = t[0];
	const ElfW(Word) *bucket = &t[2], *chain = &bucket[nbucket];
	if (!nbucket)
		return NULL;
	for (ElfW(Word) i = bucket[h % nbucket]; i != STN_UNDEF; i = chain[i]) {
		void *p = match(e, i, name);
		if (p)
			return p;
	}
	return NULL;
}

void *ms_elf_sym(const ms_elf *e, const char *name)
{
	return e->gnu_hash ? gnu_lookup(e, name) : sysv_lookup(e, name);
}
