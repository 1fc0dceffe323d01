#include <mcheck.h>
#include <stdlib.h>
int main(void){ mtrace(); void *a[100]; for(int i=0;i<100;i++) a[i]=malloc(10+i); for(int i=0;i<100;i+=2) free(a[i]); a[1]=realloc(a[1],5000); void *c=calloc(4,100); free(c); free(a[1]); return 0;}
