/*
 * warmcc native client: the program a build runs in place of the compiler, once per compile.
 *
 * It resolves the real compiler, sends one COMPILE request to the warmcc server over a Unix
 * socket (docs/protocol.md), relays the buffered stdout/stderr and exit status, and starts the
 * server when none is running. Whatever goes wrong on the server's side, it runs the real
 * compiler itself: warmcc must never make a build fail where the plain compiler would succeed.
 *
 * Invocations:
 *   warmcc gcc -c a.c         compiler named explicitly
 *   bin/masq/gcc -c a.c       masquerade symlink to warmcc: the compiler is basename(argv[0])
 *   warmcc --start-server     start the server (natively, cleanly; see spawn_server)
 *   warmcc --socket-path      print the socket this client uses (natively: the Node CLI's
 *                             answer would not prove what the C code computes)
 *   warmcc [--anything]       management commands: handed to <node> dist/cli.js
 *
 * Single-threaded, libc only. Kept lean: the hot path is a few stat()s for the PATH search,
 * one lstat() of the socket directory, connect, one send, usually one recv, and the writes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define PROTO_VERSION 1
#define MAX_BODY (256u << 20)        /* protocol limit on a frame body */
#define FAILED_TTL_S 60              /* how long <socket>.failed suppresses auto-start */
#define DEFAULT_START_TIMEOUT_MS 10000

enum {
    F_COMPILE = 0x01,
    F_STDOUT = 0x10, F_STDERR = 0x11, F_EXIT = 0x12, F_RUN_LOCALLY = 0x13, F_ERROR = 0x14,
};

static const char *compiler;   /* resolved compiler path; set once known (fallbacks need it) */
static char **cargv;           /* the compiler's argv; cargv[0] == compiler */
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int sock_custom;        /* sock_path came from WARMCC_SOCKET */
static int in_command;         /* running --start-server, not a compile */

/* ---------------------------------------------------------------- small helpers */

static _Noreturn void run_compiler(void)
{
    execv(compiler, cargv);
    fprintf(stderr, "warmcc: cannot run %s: %s\n", compiler, strerror(errno));
    exit(127);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        if (compiler) run_compiler();   /* our problem, not the build's: compile anyway */
        fputs("warmcc: out of memory\n", stderr);
        exit(127);
    }
    return p;
}

static char *cat3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = xmalloc(la + lb + lc + 1);
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc + 1);
    return s;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep ms (2, 4, ... 50: a server is usually up within ~100 ms); returns the next nap. */
static long nap_grow(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
    return ms * 2 > 50 ? 50 : ms * 2;
}

static long start_timeout_ms(void)
{
    const char *v = env_nonempty("WARMCC_START_TIMEOUT");
    char *end = NULL;
    long t = v ? strtol(v, &end, 10) : -1;
    return (v && *end == '\0' && t >= 0) ? t : DEFAULT_START_TIMEOUT_MS;
}

/* Directory of our own binary (from /proc/self/exe: already symlink-free). Only needed off
 * the hot path (starting the server, management commands). */
static const char *exe_dir(void)
{
    static char *dir;
    if (!dir) {
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n <= 0) n = 0;
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (slash) *slash = '\0'; else strcpy(buf, ".");
        dir = cat3(buf, "", "");
    }
    return dir;
}

/* Node for dist/ scripts: WARMCC_NODE, else the node that built us, else "node" on PATH. */
static _Noreturn void exec_node(char **argv)
{
    const char *node = env_nonempty("WARMCC_NODE");
#ifdef WARMCC_DEFAULT_NODE
    static char built_with[] = WARMCC_DEFAULT_NODE;
    if (!node && built_with[0]) {
        argv[0] = built_with;
        execv(argv[0], argv);       /* build-time node may have moved: try PATH next */
    }
#endif
    argv[0] = (char *)(node ? node : "node");
    execvp(argv[0], argv);
    fprintf(stderr, "warmcc: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* ---------------------------------------------------------------- step 2: the real compiler */

/* Is this stat result our own binary? Compared by device+inode rather than realpath strings:
 * one stat, and it also catches hard links (which would otherwise recurse forever). */
static int is_self(const struct stat *st)
{
    static struct stat self;
    static int have = 0;
    if (!have) have = stat("/proc/self/exe", &self) == 0 ? 1 : -1;
    return have == 1 && st->st_dev == self.st_dev && st->st_ino == self.st_ino;
}

static char *find_compiler(const char *name)
{
    struct stat st;
    if (strchr(name, '/')) {
        /* "warmcc /path/to/masq/gcc" would call ourselves forever: search for its name. */
        if (stat(name, &st) != 0 || !is_self(&st)) return (char *)name;
        name = strrchr(name, '/') + 1;
    }
    const char *path = getenv("PATH");
    if (!path) path = "/bin:/usr/bin";
    size_t nl = strlen(name);
    char *buf = xmalloc(strlen(path) + nl + 3);
    for (const char *p = path;; p++) {
        const char *e = strchrnul(p, ':');
        size_t dl = (size_t)(e - p);
        if (dl == 0) { buf[0] = '.'; dl = 1; } else memcpy(buf, p, dl);   /* "" means cwd */
        buf[dl] = '/';
        memcpy(buf + dl + 1, name, nl + 1);
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0
            && !is_self(&st))
            return buf;             /* dir/name as found: NOT symlink-resolved (clang++) */
        if (!*e) break;
        p = e;
    }
    fprintf(stderr, "warmcc: cannot find the real compiler '%s' on PATH "
                    "(warmcc's own links are skipped)\n", name);
    exit(127);
}

/* ---------------------------------------------------------------- step 4: socket path */

/* One-line warning; the caller then runs the compiler itself (or fails --start-server). */
static int refuse(const char *what, const char *path, const char *problem)
{
    fprintf(stderr, "warmcc: %s %s %s%s\n", what, path, problem,
            in_command ? "" : "; running the compiler directly");
    return -1;
}

/* The socket path rule of wrapper/contract/socketPath.ts, byte for byte (test/socketPath.test.ts
 * compares the two under every combination of the variables):
 *   WARMCC_SOCKET (not empty): as given if absolute, else the working directory, '/', the value;
 *   else $XDG_RUNTIME_DIR/warmcc/server.sock if XDG_RUNTIME_DIR is absolute (a relative one is
 *   ignored, as the XDG spec says), its trailing slashes removed;
 *   else /tmp/warmcc-<uid>/server.sock.
 * TMPDIR is never consulted: every process of a user must find the same server, whatever its
 * shell, IDE or sandbox set TMPDIR to. Plain string operations, no normalisation. Checks and
 * creates nothing. Returns a malloc'd path; NULL when WARMCC_SOCKET is relative and the working
 * directory is unknown (deleted), with errno from getcwd. *custom: the path is WARMCC_SOCKET's. */
static char *socket_path_rule(int *custom)
{
    const char *value = env_nonempty("WARMCC_SOCKET");
    *custom = value != NULL;
    if (value && value[0] == '/') return cat3(value, "", "");
    if (value) {
        char *cwd = getcwd(NULL, 0);
        if (!cwd) return NULL;
        size_t n = strlen(cwd);
        while (n > 0 && cwd[n - 1] == '/') cwd[--n] = '\0';   /* cwd "/" gives "/value" */
        char *path = cat3(cwd, "/", value);
        free(cwd);
        return path;
    }
    const char *xdg = env_nonempty("XDG_RUNTIME_DIR");
    if (xdg && xdg[0] == '/') {
        char *dir = cat3(xdg, "", "");
        size_t n = strlen(dir);
        while (n > 0 && dir[n - 1] == '/') dir[--n] = '\0';
        char *path = cat3(dir, "/warmcc/", "server.sock");
        free(dir);
        return path;
    }
    char tmp[sizeof "/tmp/warmcc-/" + 3 * sizeof(unsigned)];
    snprintf(tmp, sizeof tmp, "/tmp/warmcc-%u/", (unsigned)getuid());
    return cat3(tmp, "server.sock", "");
}

/* sock_path from the rule; the default socket's directory must also be safe (below).
 * -1 after a one-line warning when there is no socket to use. */
static int make_socket_path(void)
{
    char why[64];
    char *path = socket_path_rule(&sock_custom);
    if (!path) {
        snprintf(why, sizeof why, "is relative and the working directory is unknown: %s",
                 strerror(errno));
        return refuse("socket path", getenv("WARMCC_SOCKET"), why);
    }
    if (strlen(path) >= sizeof sock_path) {
        if (sock_custom) {
            refuse("socket path", path, "is too long for a Unix socket (max 107 bytes)");
        } else {
            *strrchr(path, '/') = '\0';
            refuse("socket directory", path, "is too long for a Unix socket path");
        }
        free(path);
        return -1;
    }
    strcpy(sock_path, path);
    free(path);
    if (sock_custom) return 0;      /* parent dir is created lazily, only if we must start */
    char dir[sizeof sock_path];
    strcpy(dir, sock_path);
    *strrchr(dir, '/') = '\0';

    /* The server runs whatever a request asks for, so never talk through a directory someone
     * else controls: it must be ours, a real directory (lstat: no symlinks), mode 0700. */
    struct stat st;
    if (lstat(dir, &st) != 0) {
        if (errno != ENOENT || (mkdir(dir, 0700) != 0 && errno != EEXIST) || lstat(dir, &st) != 0) {
            snprintf(why, sizeof why, "cannot be created: %s", strerror(errno));
            return refuse("socket directory", dir, why);
        }
    }
    if (!S_ISDIR(st.st_mode))
        return refuse("socket directory", dir, S_ISLNK(st.st_mode)
                      ? "is a symlink, not a directory (refusing to use it)"
                      : "is not a directory (refusing to use it)");
    if (st.st_uid != getuid())
        return refuse("socket directory", dir, "is owned by another user (refusing to use it)");
    if (st.st_mode & 077)
        return refuse("socket directory", dir, "is accessible by group/others; it must be "
                                               "mode 0700 (refusing to use it)");
    return 0;
}

/* ---------------------------------------------------------------- step 5: connect, auto-start */

static int connect_once(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path, sock_path, sizeof sock_path);
    /* CLOEXEC: the socket must not leak into the compiler we may exec later. */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

/* Did a client give up starting the server less than a minute ago? Then don't wait again. */
static int failed_recently(const char *failed)
{
    struct stat st;
    if (stat(failed, &st) != 0) return 0;
    time_t age = time(NULL) - st.st_mtime;
    return age >= 0 && age < FAILED_TTL_S;
}

static void mark_failed(const char *failed)
{
    int fd = open(failed, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld\n", (long long)time(NULL));
    if (write(fd, buf, (size_t)n) < 0) {}
    close(fd);
}

/* Words of MAKEFLAGS & co. minus the jobserver ones; NULL if nothing but whitespace remains. */
static char *strip_jobserver(const char *v)
{
    char *out = xmalloc(strlen(v) + 1), *o = out;
    int any = 0;
    const char *p = v;
    while (*p) {
        const char *ws = p;
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') p++;
        if (w == p) break;          /* trailing whitespace */
        if (!strncmp(w, "--jobserver-auth=", 17) || !strncmp(w, "--jobserver-fds=", 16))
            continue;               /* drop the word together with the whitespace before it */
        memcpy(o, ws, (size_t)(p - ws));
        o += p - ws;
        any = 1;
    }
    *o = '\0';
    if (any) return out;
    free(out);
    return NULL;
}

/* Our environment for the server: no jobserver, and WARMCC_SOCKET = where we will connect. */
static char **server_env(void)
{
    size_t n = 0;
    while (environ[n]) n++;
    char **env = xmalloc((n + 2) * sizeof *env), **o = env;
    static const char *const jobvars[] = { "MAKEFLAGS=", "MFLAGS=", "CARGO_MAKEFLAGS=" };
    for (char **e = environ; *e; e++) {
        if (!strncmp(*e, "WARMCC_SOCKET=", 14)) continue;
        size_t j;
        for (j = 0; j < 3; j++)
            if (!strncmp(*e, jobvars[j], strlen(jobvars[j]))) break;
        if (j == 3) { *o++ = *e; continue; }
        size_t kl = strlen(jobvars[j]);
        char *val = strip_jobserver(*e + kl);
        if (val) *o++ = cat3(jobvars[j], val, "");
    }
    *o++ = cat3("WARMCC_SOCKET=", sock_path, "");
    *o = NULL;
    return env;
}

static void mkdir_p(char *path)
{
    for (char *p = path + 1; *p; p++)
        if (*p == '/') { *p = '\0'; mkdir(path, 0700); *p = '/'; }
    mkdir(path, 0700);
}

static int open_log(void)
{
    const char *log = env_nonempty("WARMCC_LOG");
    char *path = NULL;
    if (!log) {
        const char *d = env_nonempty("WARMCC_DIR"), *x = env_nonempty("XDG_CACHE_HOME");
        const char *home = env_nonempty("HOME");
        char *dir = d ? cat3(d, "", "") : x ? cat3(x, "/warmcc", "")
                  : home ? cat3(home, "/.cache/warmcc", "") : NULL;
        if (dir) { mkdir_p(dir); log = path = cat3(dir, "/server.log", ""); }
    }
    int fd = log ? open(log, O_WRONLY | O_APPEND | O_CREAT, 0600) : -1;
    free(path);
    return fd >= 0 ? fd : open("/dev/null", O_WRONLY);
}

static void close_fds_above_2(void)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3, ~0U, 0) == 0) return;
#endif
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            int fd = atoi(de->d_name);      /* "." and ".." give 0 */
            if (fd > 2 && fd != dirfd(d)) close(fd);
        }
        closedir(d);
        return;
    }
    for (long fd = 3, max = sysconf(_SC_OPEN_MAX); fd < (max > 0 ? max : 65536); fd++)
        close((int)fd);
}

/* The server, as a grandchild of the client. Everything here exists because of how sccache
 * broke builds: a server started from inside `make -j` kept make's jobserver pipe/fifo fds and
 * its stdout/stderr pipes open, so make, ninja and `make | tee` waited forever for EOF. */
static _Noreturn void server_child(char *server_js)
{
    /* Dispositions set to SIG_IGN survive exec (a background `make &` ignores SIGINT); the
     * server must be stoppable normally, and must not inherit a blocked signal mask. */
    struct sigaction sa = { .sa_handler = SIG_DFL };
    for (int s = 1; s < NSIG; s++) sigaction(s, &sa, NULL);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    umask(077);                     /* cache and log are private */

    /* No pipe of the build may stay open in the long-lived server: stdin from /dev/null,
     * stdout/stderr to the log, and every other fd (jobserver, lock, ...) closed. */
    /* (no O_CLOEXEC: if fd 0/1 were closed, open() returns them and they must survive exec) */
    int in = open("/dev/null", O_RDONLY);
    if (in >= 0 && in != 0) dup2(in, 0);
    int log = open_log();
    if (log >= 0 && log != 1) dup2(log, 1);
    if (log >= 0 && log != 2) dup2(log, 2);
    close_fds_above_2();

    environ = server_env();         /* jobserver words removed from MAKEFLAGS & co. */
    /* same V8 flag as serverLauncher.ts (SERVER_NODE_FLAGS): why is explained there */
    char *argv[] = { NULL, "--initial-old-space-size=64", server_js, NULL };
    exec_node(argv);                /* writes the failure to fd 2 (the log), _exit(127) */
}

/* Start the server detached from the build: fork, setsid (new session: no controlling
 * terminal, own process group, so the build's ^C or kill of its group does not hit it), fork
 * again and let the middle child exit, so the server is not a session leader (can never
 * acquire a terminal) and is reparented to init/subreaper instead of being the build's child. */
static int spawn_server(char *server_js)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        setsid();
        pid_t g = fork();
        if (g == 0) server_child(server_js);
        _exit(g < 0 ? 1 : 0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}   /* reap: no zombie */
    return 0;
}

/* Connect, starting the server if needed. interactive: --start-server (reports errors and
 * ignores <socket>.failed). Returns the connected fd or -1 (caller falls back). */
static int start_and_connect(int interactive)
{
    char *failed = cat3(sock_path, ".failed", "");
    if (!interactive && failed_recently(failed)) { free(failed); return -1; }
    if (sock_custom) {              /* one level of parent directory, 0700 */
        char *parent = cat3(sock_path, "", ""), *slash = strrchr(parent, '/');
        if (slash && slash != parent) { *slash = '\0'; mkdir(parent, 0700); }
        free(parent);
    }
    char *server_js = cat3(exe_dir(), "/../dist/server.js", "");
    if (access(server_js, R_OK) != 0) {
        refuse("server", server_js, "not found (is warmcc built?)");
        if (!interactive) mark_failed(failed);   /* warn once, not on every compile */
        free(server_js);
        free(failed);
        return -1;
    }
    long long deadline = now_ms() + start_timeout_ms();
    long nap = 2;

    /* Serialise starters: only one client of a parallel build spawns the server. */
    char *lock = cat3(sock_path, ".lock", "");
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);   /* no lock: start anyway */
    while (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) != 0 && now_ms() < deadline)
        nap = nap_grow(nap);
    int fd = connect_once();        /* the lock holder may have started it meanwhile */
    if (fd < 0 && now_ms() < deadline && (interactive || !failed_recently(failed))) {
        if (spawn_server(server_js) == 0) {
            for (nap = 2; (fd = connect_once()) < 0 && now_ms() < deadline;)
                nap = nap_grow(nap);
        }
        if (fd >= 0) unlink(failed);
        else mark_failed(failed);
    }
    if (lfd >= 0) {                 /* unlock explicitly: the fork briefly shared this fd */
        flock(lfd, LOCK_UN);
        close(lfd);
    }
    /* freed although we exit soon: LeakSanitizer (test/nativeClientSanitizers) stays quiet */
    free(lock);
    free(server_js);
    free(failed);
    return fd;
}

/* ---------------------------------------------------------------- step 7: request */

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
    return p + 4;
}

static unsigned char *put_str(unsigned char *p, const char *s, size_t n)
{
    p = put_u32(p, (uint32_t)n);
    memcpy(p, s, n);
    return p + n;
}

/* Returns 0 if sent, -1 if the request cannot be built, -2 if the send failed. */
static int send_request(int fd)
{
    char *cwd = getcwd(NULL, 0);
    if (!cwd) return -1;
    size_t argc = 0, envc = 0, cwdl = strlen(cwd);
    size_t body = 4 + 4 + cwdl + 4 + 4 + 4 + 4; /* flags, cwd, argc, envc, pid, umask */
    for (; cargv[argc]; argc++) body += 4 + strlen(cargv[argc]);
    for (; environ[envc]; envc++) body += 4 + strlen(environ[envc]);
    if (body > MAX_BODY) return -1;

    unsigned char *buf = xmalloc(8 + 5 + body), *p = buf;
    memcpy(p, "WARMCC", 6);
    p[6] = PROTO_VERSION & 0xff; p[7] = PROTO_VERSION >> 8;
    p[8] = F_COMPILE;
    p = put_u32(p + 9, (uint32_t)body);
    p = put_u32(p, (uint32_t)(isatty(1) | isatty(2) << 1));
    p = put_str(p, cwd, cwdl);
    p = put_u32(p, (uint32_t)argc);
    for (size_t i = 0; i < argc; i++) p = put_str(p, cargv[i], strlen(cargv[i]));
    p = put_u32(p, (uint32_t)envc);
    for (size_t i = 0; i < envc; i++) p = put_str(p, environ[i], strlen(environ[i]));
    p = put_u32(p, (uint32_t)getpid());
    mode_t mask = umask(0);         /* reading the umask means setting it: put it back at once */
    umask(mask);
    p = put_u32(p, (uint32_t)mask); /* the compile creates files with the user's permissions */

    /* MSG_NOSIGNAL: a server dying now must not kill us with SIGPIPE (we fall back instead). */
    for (size_t off = 0, len = (size_t)(p - buf); off < len;) {
        ssize_t k = send(fd, buf + off, len - off, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) { free(buf); free(cwd); return -2; }
        off += (size_t)k;
    }
    free(buf);
    free(cwd);
    return 0;
}

/* ---------------------------------------------------------------- step 8: reply */

struct reader { int fd; size_t pos, len; unsigned char buf[65536]; };
struct out { unsigned char *p; size_t len, cap; };

static int rd(struct reader *r, void *dst, size_t n)
{
    unsigned char *d = dst;
    while (n) {
        if (r->pos == r->len) {
            /* big bodies go straight to their destination; small reads are batched */
            int direct = n >= sizeof r->buf;
            ssize_t k = recv(r->fd, direct ? d : r->buf, direct ? n : sizeof r->buf, 0);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) return -1;
            if (direct) { d += k; n -= (size_t)k; continue; }
            r->pos = 0;
            r->len = (size_t)k;
        }
        size_t c = r->len - r->pos < n ? r->len - r->pos : n;
        memcpy(d, r->buf + r->pos, c);
        r->pos += c; d += c; n -= c;
    }
    return 0;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static _Noreturn void lost_server(const char *why)
{
    if (getenv("WARMCC_DEBUG"))
        fprintf(stderr, "warmcc: lost the server mid-request (%s); running the compiler directly\n",
                why);
    run_compiler();
}

static void write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k > 0) { p += k; n -= (size_t)k; continue; }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno == EAGAIN) {     /* the build handed us a non-blocking pipe */
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            poll(&pfd, 1, -1);
            continue;
        }
        return;                             /* EPIPE etc.: nobody is reading; ignore */
    }
}

static _Noreturn void read_reply(int fd)
{
    static struct reader r;
    struct out outs[2] = { { NULL, 0, 0 }, { NULL, 0, 0 } };
    r.fd = fd;
    for (;;) {
        unsigned char h[5];
        if (rd(&r, h, 5) != 0) lost_server("connection closed");
        uint32_t len = get_u32(h + 1);
        if (len > MAX_BODY) lost_server("frame too large");
        if (h[0] == F_STDOUT || h[0] == F_STDERR) {
            struct out *o = &outs[h[0] - F_STDOUT];
            if (o->len + len > o->cap) {
                size_t cap = o->cap ? o->cap * 2 : 4096;
                while (cap < o->len + len) cap *= 2;
                unsigned char *np = realloc(o->p, cap);
                if (!np) run_compiler();
                o->p = np;
                o->cap = cap;
            }
            if (rd(&r, o->p + o->len, len) != 0) lost_server("connection closed");
            o->len += len;
        } else if (h[0] == F_EXIT) {
            unsigned char b[4];
            if (len != 4 || rd(&r, b, 4) != 0) lost_server("bad EXIT frame");
            int32_t code = (int32_t)get_u32(b);
            if (code < 0) lost_server("negative exit status");   /* never turn it into 0 */
            /* SIGPIPE ignored only here, where no exec follows (SIG_IGN would be inherited):
             * a closed stdout must not change our exit status. */
            signal(SIGPIPE, SIG_IGN);
            write_all(1, outs[0].p, outs[0].len);
            write_all(2, outs[1].p, outs[1].len);
            exit(code > 255 ? 255 : code);
        } else if (h[0] == F_RUN_LOCALLY) {
            run_compiler();         /* not cacheable; the server already counted it */
        } else if (h[0] == F_ERROR) {
            unsigned char *b = xmalloc(len);
            if (rd(&r, b, len) != 0) lost_server("connection closed");
            uint32_t ml = len >= 4 ? get_u32(b) : 0;
            if (len < 4 || ml > len - 4) ml = len >= 4 ? len - 4 : 0;
            fprintf(stderr, "warmcc: %.*s; running the compiler directly\n", (int)ml,
                    len >= 4 ? (char *)b + 4 : "");
            run_compiler();
        } else {
            lost_server("unknown frame type");
        }
    }
}

/* ---------------------------------------------------------------- step 1: modes, main */

static int cmd_start_server(void)
{
    in_command = 1;
    if (make_socket_path() != 0) return 1;
    int fd = connect_once();
    if (fd >= 0) { puts("warmcc: server already running"); return 0; }
    fd = start_and_connect(1);
    if (fd < 0) {
        fprintf(stderr, "warmcc: could not start the server (socket %s); see the server log\n",
                sock_path);
        return 1;
    }
    close(fd);
    puts("warmcc: server started");
    return 0;
}

/* The socket this client would use, one line; creates nothing (no directory checks either). */
static int cmd_socket_path(void)
{
    int custom;
    char *path = socket_path_rule(&custom);
    if (!path) {
        fprintf(stderr, "warmcc: socket path %s is relative and the working directory is "
                        "unknown: %s\n", getenv("WARMCC_SOCKET"), strerror(errno));
        return 1;
    }
    /* the Node CLI refuses the same paths with the same words (wrapper/cli/main.ts) */
    int too_long = strlen(path) >= sizeof sock_path;
    if (too_long)
        fprintf(stderr, "warmcc: socket path %s is too long for a Unix socket (max 107 bytes)\n",
                path);
    else
        puts(path);
    free(path);
    return too_long;
}

static _Noreturn void run_cli(int argc, char **argv)
{
    if (argc < 1) argc = 1;         /* execve with an empty argv */
    char **a = xmalloc((size_t)(argc + 2) * sizeof *a);
    a[1] = cat3(exe_dir(), "/../dist/cli.js", "");
    for (int i = 1; i < argc; i++) a[i + 1] = argv[i];
    a[argc + 1] = NULL;
    if (access(a[1], R_OK) != 0) {  /* not built: still say what warmcc is */
        if (argc < 2) {
            puts("usage: warmcc COMPILER ARGS...  (or via a link named like the compiler)\n"
                 "       warmcc --start-server; see warmcc --help for more");
            exit(0);
        }
        fprintf(stderr, "warmcc: %s not found (is warmcc built?)\n", a[1]);
        exit(1);
    }
    exec_node(a);
}

int main(int argc, char **argv)
{
    const char *self = argc > 0 ? argv[0] : "warmcc", *base = strrchr(self, '/');
    base = base ? base + 1 : self;
    char *name;
    if (!strcmp(base, "warmcc")) {
        if (argc < 2 || argv[1][0] == '-') {
            if (argc >= 2 && !strcmp(argv[1], "--start-server")) return cmd_start_server();
            if (argc == 2 && !strcmp(argv[1], "--socket-path")) return cmd_socket_path();
            run_cli(argc, argv);    /* everything else is the Node CLI's business */
        }
        name = argv[1];
        cargv = argv + 1;           /* warmcc gcc -c a.c */
    } else {
        name = (char *)base;
        cargv = argv;               /* masquerade: gcc -c a.c */
    }
    compiler = find_compiler(name);
    cargv[0] = (char *)compiler;

    const char *dis = getenv("WARMCC_DISABLE");
    if (dis && *dis && strcmp(dis, "0")) run_compiler();
    if (make_socket_path() != 0) run_compiler();

    int fd = connect_once();
    if (fd < 0) {
        if (errno != ENOENT && errno != ECONNREFUSED) {
            if (getenv("WARMCC_DEBUG"))
                fprintf(stderr, "warmcc: cannot connect to %s: %s; running the compiler directly\n",
                        sock_path, strerror(errno));
            run_compiler();
        }
        if ((fd = start_and_connect(0)) < 0) run_compiler();
    }
    int rc = send_request(fd);
    if (rc == -1) run_compiler();   /* e.g. cwd deleted: let the compiler deal with it */
    read_reply(fd);                 /* on a failed send, a server ERROR frame may still wait */
}
