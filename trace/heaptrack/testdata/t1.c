#include <stdlib.h>
#include <stdio.h>
int main(){ void *p[1000]; for(int i=0;i<1000;i++) p[i]=malloc(100+i); for(int i=0;i<1000;i++) free(p[i]); return 0;}
