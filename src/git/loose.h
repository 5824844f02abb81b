/*
 * A check in front of libgit2's reader of loose objects, internal to
 * src/git/. Debian's libgit2 1.5 loops forever on a truncated loose object
 * (its inflate loop waits for input that never comes) and writes past its
 * buffer when an object's header states a smaller size than the object
 * holds. Before libgit2 reads a loose object, this backend inflates the file
 * itself and checks that the stream is whole and as long as its header
 * says; a damaged object becomes an error that names its file, a sound one
 * is left to libgit2's own reader. The objects directories named in
 * info/alternates (clones made with --shared or --reference) are checked
 * too.
 *
 * Ownership: the object database of `repo` owns the backend once added and
 * frees it with the repository.
 */
#ifndef REVGATE_GIT_LOOSE_H
#define REVGATE_GIT_LOOSE_H

#include <git2.h>

/* The priorities libgit2 gives its backends, set once at start-up: packs
 * first (most objects), then this check, then libgit2's loose reader. */
#define LOOSE_PACKED_PRIORITY 3
#define LOOSE_CHECK_PRIORITY 2
#define LOOSE_READER_PRIORITY 1

/*
 * Adds the check to the object database of `repo`. Returns a libgit2 error
 * code with git_error_last() set.
 */
int loose_check_add(git_repository *repo);

#endif
