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

/// The namespaces a box may ask for (the values of <sched.h>'s CLONE_NEW*, which need
/// _GNU_SOURCE; cspawn.c checks that they agree).
enum {
    CT_NEWNS = 0x00020000,
    CT_NEWUTS = 0x04000000,
    CT_NEWIPC = 0x08000000,
    CT_NEWPID = 0x20000000,
    CT_NEWNET = 0x40000000,
};

/// The box around one run (see ct_spawn). With `namespaces` 0 and no cgroup, none.
typedef struct {
    /// CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS, or a subset.
    int namespaces;
    /// A network namespace to join (from ct_netns_create) instead of making one, or -1.
    /// With it, CLONE_NEWNET in `namespaces` is ignored.
    int network_fd;
    /// `cgroup.procs` of the run's cgroup in each hierarchy, opened for writing by the
    /// parent; the child writes "0" (itself) to each before anything else.
    const int *cgroup_procs_fds;
    int cgroup_procs_count;
    /// With CLONE_NEWNS: an empty read-only tmpfs over each of `hidden_paths`, and an
    /// empty writable one of `tmp_bytes` over each of `private_paths` (both
    /// NULL-terminated; a path that does not exist is skipped).
    const char *const *hidden_paths;
    const char *const *private_paths;
    unsigned long long tmp_bytes;
    /// The box's init program (cloudtask-box-init) and its arguments (NULL-terminated:
    /// see its main.c), which start the program; required in a box.
    const char *init_path;
    char *const *init_argv;
} ct_sandbox;

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
    ct_sandbox sandbox;
} ct_spawn_request;

/// Starts the program (clone with CLONE_VM and CLONE_VFORK, then execve, as
/// posix_spawn does) in its own process group, with stdin from /dev/null,
/// stdout and stderr to fresh non-blocking pipes, PR_SET_PDEATHSIG(SIGKILL) so it dies
/// with the thread that spawned it, the rlimits applied, and every other descriptor
/// closed. Returns 0 and fills pid and the two read ends, or returns an errno value
/// (the child's, if exec failed; the parent's if fork or pipe did).
///
/// In a box (`sandbox.namespaces` or a cgroup), the child is made the same way (sharing
/// this process's memory until it executes, so nothing is copied) but in the new
/// namespaces: it joins the run's cgroups, mounts a fresh /proc, the private and the
/// hidden paths, and executes `sandbox.init_path`, which starts the program as its only
/// child (pid 2 in a PID namespace), reaps whatever is left until the program ends,
/// writes the program's raw wait status to `*status_fd` and exits; the kernel ends
/// everything else in the namespace with it. Without a box, `*status_fd` is -1 and the
/// program's status is the child's own.
int ct_spawn(const ct_spawn_request *request, pid_t *pid, int *stdout_fd, int *stderr_fd, int *status_fd);

/// Makes an empty network namespace (only a loopback device, down) and returns a
/// descriptor that keeps it, or -errno. The calling thread enters it and comes back to its
/// own before returning; the process needs CAP_SYS_ADMIN.
int ct_netns_create(void);
/// The program's raw wait status from a box's status descriptor, once its init has
/// exited: 1 and the status if the init sent one, 0 if it did not (it was killed).
int ct_read_status(int status_fd, int *status);

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
