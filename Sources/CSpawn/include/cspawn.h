#ifndef CLOUDTASK_CSPAWN_H
#define CLOUDTASK_CSPAWN_H

#include <sys/types.h>

/// Resource limits for the child; a value of 0 leaves that limit as inherited.
typedef struct {
    unsigned long long cpu_seconds;
    unsigned long long address_space_bytes;
    unsigned long long processes;
    unsigned long long file_size_bytes;
    unsigned long long open_files;
} ct_rlimits;

/// Everything the child needs, prepared by the parent before fork: after fork, in a
/// multi-threaded process, the child may only make async-signal-safe calls, so no
/// allocation, no name lookups, no Swift.
typedef struct {
    const char *path;            ///< absolute path of the program
    char *const *argv;           ///< NULL-terminated
    char *const *envp;           ///< NULL-terminated; the whole environment of the child
    const char *directory;       ///< working directory
    int change_user;             ///< when non-zero, drop to uid/gid (the worker is root)
    uid_t uid;
    gid_t gid;
    ct_rlimits limits;
} ct_spawn_request;

/// Starts the program (clone with CLONE_VM and CLONE_VFORK, then execve, as
/// posix_spawn does) in its own process group, with stdin from /dev/null,
/// stdout and stderr to fresh non-blocking pipes, PR_SET_PDEATHSIG(SIGKILL) so it dies
/// with the thread that spawned it, the rlimits applied, and every other descriptor
/// closed. Returns 0 and fills pid and the two read ends, or returns an errno value
/// (the child's, if exec failed; the parent's if fork or pipe did).
int ct_spawn(const ct_spawn_request *request, pid_t *pid, int *stdout_fd, int *stderr_fd);

/// A descriptor that poll(2) reports readable once the child has exited (pidfd_open,
/// Linux 5.3 and later), or -1 where the kernel has none.
int ct_pidfd_open(pid_t pid);

/// Waits for the child without blocking: 1 and the raw status when it has exited,
/// 0 when it runs, -1 on error.
int ct_try_wait(pid_t pid, int *status);

/// Decodes a raw wait status: returns 1 and the exit code for a normal exit, 2 and
/// the signal number for a death by signal.
int ct_decode_status(int status, int *value);

#endif
