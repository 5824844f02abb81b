/*
 * The git guard's own share of 'revgate lint --staged' / '--base REF':
 * reading the migrations directory, starting libgit2 and opening the
 * repository, then guard_run(). Built and run by bench/git.sh.
 * usage: git_guard_time staged | base REF   (in the benchmark repository)
 */
#include "guard/guard.h"
#include "git/gitrepo.h"
#include "match/match.h"
#include "revision/revision.h"
#include <stdio.h>
#include <string.h>
#include <time.h>
static double now_ms(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
int main(int argc, char **argv)
{
	struct matcher *m; matcher_compile(&m, revision_default_name_pattern, "p");
	double t0=now_ms();
	struct revset set=REVSET_INIT; struct findings lf=FINDINGS_INIT, out=FINDINGS_INIT;
	revset_load_dir(&set,"migrations",m,NULL,&lf);
	double t1=now_ms();
	struct gitrepo *r; gitrepo_open(&r,"."); gitrepo_free(r);
	double t2=now_ms();
	struct guard_request req={.mode=!strcmp(argv[1],"staged")?GUARD_STAGED:GUARD_BASE,.base=argc>2?argv[2]:NULL,.migrations_dir="migrations",.name_pattern=m};
	struct guard_result res;
	int ret=guard_run(&req,&set,&lf,&res,&out);
	double t3=now_ms();
	printf("ret=%d findings=%zu load=%.1fms libgit2-init+open=%.1fms guard=%.1fms\n",ret,out.n,t1-t0,t2-t1,t3-t2);
	return 0;
}
