/* Least privilege for the live daemon; see priv.h. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "priv.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#define PRIV_MAX_CAP 63
#define PRIV_MAX_GROUPS 256

/* Set on the worker threads that priv_thread_limit limited, with what
 * they keep once the switch is done. */
static __thread bool limited;
static __thread uint64_t thread_keep;
static __thread unsigned thread_gen;
static _Atomic uint64_t kept_union;
/* priv_drop bumps gen once it is done; each limited thread then drops
 * what the switch needed (priv_sync) and counts itself in synced */
static _Atomic unsigned gen, nlimited, nsynced;

static int caps_get3(uint64_t *eff, uint64_t *perm, uint64_t *inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_get(uint64_t *eff, uint64_t *perm)
{
	uint64_t inh;

	return caps_get3(eff, perm, &inh);
}

/* The calling thread's sets (pid 0: this thread, not the process). */
static int caps_set(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)perm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32) },
	};

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* Out of the bounding set all but keep; needs CAP_SETPCAP, which only root
 * has here (under systemd, CapabilityBoundingSet= did it already). */
static void bound_to(uint64_t keep)
{
	for (int c = 0; c <= PRIV_MAX_CAP; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0)
			break;      /* past the kernel's last capability */
		if (r > 0 && !(keep & PRIV_CAP(c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0))
			break;      /* EPERM: not ours to change */
	}
}

bool priv_wanted(const struct config *c)
{
	const char *u = config_str(c, CONFIG_USER);

	return (u && *u) || geteuid() != 0;
}

bool priv_switching(const struct config *c)
{
	const char *u = config_str(c, CONFIG_USER);

	return u && *u && geteuid() == 0;
}

void priv_thread_none(void)
{
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	caps_set(0, 0, 0);
}

void priv_thread_limit(const struct config *c, uint64_t keep)
{
	uint64_t eff, perm, sw = 0;

	if (caps_get(&eff, &perm))
		return;
	/* glibc applies setgroups, setresgid and setresuid to every thread
	 * (and aborts when one refuses): until the switch this thread and the
	 * writer it starts need CAP_SETGID and CAP_SETUID effective */
	if (priv_switching(c))
		sw = (PRIV_CAP(CAP_SETUID) | PRIV_CAP(CAP_SETGID)) & perm;
	keep &= perm;
	/* the bounding set limits what exec could give, not what the thread
	 * has: the switch still works */
	bound_to(keep);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (!caps_set(sw, keep | sw, 0)) {
		limited = true;
		thread_keep = keep;
		thread_gen = atomic_load(&gen);
		atomic_fetch_or(&kept_union, keep);
		atomic_fetch_add(&nlimited, 1);
	}
}

void priv_sync(void)
{
	uint64_t eff, perm;

	if (!limited || thread_gen == atomic_load_explicit(&gen, memory_order_relaxed))
		return;
	thread_gen = atomic_load(&gen);
	if (!caps_get(&eff, &perm))
		caps_set(0, perm & thread_keep, 0);
	atomic_fetch_add(&nsynced, 1);
}

void priv_thread_keep(void)
{
	if (limited)
		prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
}

void priv_raise(void)
{
	uint64_t eff, perm;

	priv_sync();
	if (limited && !caps_get(&eff, &perm) && eff != perm)
		caps_set(perm, perm, 0);
}

void priv_lower(void)
{
	uint64_t eff, perm;

	if (limited && !caps_get(&eff, &perm) && eff)
		caps_set(0, perm, 0);
}

bool priv_needed(uint64_t caps, int (*fn)(void *arg), void *arg)
{
	uint64_t eff, perm, inh;
	int rc;

	if (caps_get3(&eff, &perm, &inh) || ((eff & caps) && caps_set(eff & ~caps, perm, inh)))
		return true;    /* cannot tell: better kept */
	rc = fn(arg);
	if (eff & caps)
		caps_set(eff, perm, inh);
	return rc == -EPERM || rc == -EACCES;
}

uint64_t priv_kept(void)
{
	return atomic_load(&kept_union);
}

void priv_caps_text(uint64_t caps, char *buf, size_t len)
{
	static const char *const names[] = {
		[0] = "cap_chown", [1] = "cap_dac_override", [5] = "cap_kill",
		[6] = "cap_setgid", [7] = "cap_setuid", [8] = "cap_setpcap",
		[10] = "cap_net_bind_service", [12] = "cap_net_admin", [13] = "cap_net_raw",
		[14] = "cap_ipc_lock", [21] = "cap_sys_admin", [24] = "cap_sys_resource",
		[38] = "cap_perfmon", [39] = "cap_bpf",
	};
	size_t n = 0;

	snprintf(buf, len, "none");
	for (int c = 0; c <= PRIV_MAX_CAP && n < len; c++) {
		if (!(caps & PRIV_CAP(c)))
			continue;
		if (c < (int)(sizeof(names) / sizeof(names[0])) && names[c])
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", names[c]);
		else
			n += (size_t)snprintf(buf + n, len - n, "%scap_%d", n ? "," : "", c);
	}
}

/* A user by name or number. */
static int find_user(const char *name, struct passwd *pw, char *buf, size_t len)
{
	struct passwd *r = NULL;
	char *end;
	unsigned long v = strtoul(name, &end, 10);
	int e = *end || end == name ? getpwnam_r(name, pw, buf, len, &r) :
		getpwuid_r((uid_t)v, pw, buf, len, &r);

	return r ? 0 : e ? -e : -ENOENT;
}

static int find_group(const char *name, gid_t *gid)
{
	struct group gr, *r = NULL;
	char buf[4096], *end;
	unsigned long v = strtoul(name, &end, 10);
	int e;

	if (!*end && end != name) {
		*gid = (gid_t)v;
		return 0;
	}
	e = getgrnam_r(name, &gr, buf, sizeof(buf), &r);
	if (!r)
		return e ? -e : -ENOENT;
	*gid = gr.gr_gid;
	return 0;
}

static bool in_groups(gid_t g, const gid_t *groups, int n)
{
	for (int i = 0; i < n; i++)
		if (groups[i] == g)
			return true;
	return false;
}

/* Whether uid with these groups may create and delete files in a
 * directory of that owner and mode (no capabilities: DAC only). */
static bool may_write(const struct stat *sb, uid_t uid, const gid_t *groups, int n)
{
	if (sb->st_uid == uid)
		return (sb->st_mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR);
	if (in_groups(sb->st_gid, groups, n))
		return (sb->st_mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP);
	return (sb->st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

/* The store must stay writable once we are user: a directory we own (as
 * root, typically just made by store_open) is handed over; anything else
 * is the administrator's to change.  1 when handed over. */
static int check_store(const char *dir, const struct passwd *pw, gid_t gid, const gid_t *groups,
		       int n, char *err, size_t errlen)
{
	struct stat sb;
	int e;

	if (!dir || stat(dir, &sb) < 0) {
		e = dir ? errno : EINVAL;
		snprintf(err, errlen, "store %s: %s", dir ? dir : "", strerror(e));
		return -e;
	}
	if (may_write(&sb, pw->pw_uid, groups, n))
		return 0;
	if (sb.st_uid == geteuid()) {
		if (chown(dir, pw->pw_uid, gid) < 0 ||
		    chmod(dir, (sb.st_mode & 07777) | S_IRWXU) < 0) {
			e = errno;
			snprintf(err, errlen, "store %s: cannot hand it to user %s: %s", dir,
				 pw->pw_name, strerror(e));
			return -e;
		}
		return 1;
	}
	snprintf(err, errlen, "store %s (owner uid %u, gid %u, mode %04o) is not writable by "
		 "user %s: chown %s %s, or choose another store", dir, (unsigned)sb.st_uid,
		 (unsigned)sb.st_gid, (unsigned)(sb.st_mode & 07777), pw->pw_name, pw->pw_name,
		 dir);
	return -EACCES;
}

/* The control socket as it would be had user made it: its owner, and its
 * group unless control_group named one.  The mode stays. */
static int give_socket(const char *path, uid_t uid, gid_t gid, bool keep_group, char *err,
		       size_t errlen)
{
	struct stat sb;
	int e;

	if (!path || lstat(path, &sb) < 0 || !S_ISSOCK(sb.st_mode))
		return 0;
	if (lchown(path, uid, keep_group ? (gid_t)-1 : gid) < 0) {
		e = errno;
		snprintf(err, errlen, "control socket %s: chown: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

/* The switch itself: groups, then gid, then uid.  glibc applies each to
 * every thread of the process. */
static int switch_ids(const struct passwd *pw, gid_t gid, const gid_t *groups, int n,
		      char *err, size_t errlen)
{
	uid_t r, e, s;
	int en;

	if (setgroups((size_t)n, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		en = errno;
		snprintf(err, errlen, "cannot switch to user %s: %s", pw->pw_name, strerror(en));
		return -en;
	}
	if (getresuid(&r, &e, &s) || r != pw->pw_uid || e != pw->pw_uid || s != pw->pw_uid ||
	    setuid(0) == 0) {
		snprintf(err, errlen, "switching to user %s did not hold", pw->pw_name);
		return -EPERM;
	}
	return 0;
}

int priv_drop(const struct priv_args *a, char *done, size_t donelen, char *err, size_t errlen)
{
	bool has_user = a->user && *a->user, has_group = a->group && *a->group;
	struct passwd pw;
	char pwbuf[4096], caps[256], how[200] = "";
	gid_t gid = getegid(), groups[PRIV_MAX_GROUPS];
	int n = PRIV_MAX_GROUPS, rc;
	bool root = geteuid() == 0;

	done[0] = '\0';
	if (has_user && (rc = find_user(a->user, &pw, pwbuf, sizeof(pwbuf)))) {
		snprintf(err, errlen, "user = %s: %s", a->user,
			 rc == -ENOENT ? "no such user" : strerror(-rc));
		return rc;
	}
	if (has_user)
		gid = pw.pw_gid;
	if (has_group && (rc = find_group(a->group, &gid))) {
		snprintf(err, errlen, "group = %s: %s", a->group,
			 rc == -ENOENT ? "no such group" : strerror(-rc));
		return rc;
	}
	/* systemd's User= (or su) did the switch already: the same user is no
	 * conflict, another one is, since only root could switch */
	if (!root && ((has_user && pw.pw_uid != geteuid()) || (has_group && gid != getegid()))) {
		snprintf(err, errlen, "user = %s, group = %s: captured runs as uid %u gid %u and "
			 "cannot switch (under captured.service User= and Group= choose them: "
			 "leave user and group empty, or make them agree)",
			 has_user ? a->user : "", has_group ? a->group : "", (unsigned)geteuid(),
			 (unsigned)getegid());
		return -EPERM;
	}
	if (root && has_group && !has_user) {
		/* a group alone: that group, the user stays */
		groups[0] = gid;
		if (setgroups(1, groups) < 0 || setresgid(gid, gid, gid) < 0) {
			rc = -errno;
			snprintf(err, errlen, "group = %s: %s", a->group, strerror(-rc));
			return rc;
		}
		snprintf(done, donelen, "running as group %u; user and capabilities unchanged",
			 (unsigned)gid);
		return 0;
	}
	if (root && has_user && pw.pw_uid != 0) {
		if (getgrouplist(pw.pw_name, gid, groups, &n) < 0) {
			snprintf(err, errlen, "user %s: more than %d groups", pw.pw_name,
				 PRIV_MAX_GROUPS);
			return -E2BIG;
		}
		rc = check_store(a->store_dir, &pw, gid, groups, n, err, errlen);
		if (rc < 0)
			return rc;
		snprintf(how, sizeof(how), "user %s (uid %u, gid %u%s)", pw.pw_name,
			 (unsigned)pw.pw_uid, (unsigned)gid, rc ? "; the store handed to it" : "");
		if ((rc = give_socket(a->control_socket, pw.pw_uid, gid, a->control_group_set, err,
				      errlen)))
			return rc;
		bound_to(0);
		if ((rc = switch_ids(&pw, gid, groups, n, err, errlen)))
			return rc;
		/* the directories on the way count too */
		if (access(a->store_dir, W_OK | X_OK) < 0) {
			rc = -errno;
			snprintf(err, errlen, "store %s: user %s cannot write it: %s (a directory "
				 "on its path, or its mode?)", a->store_dir, pw.pw_name,
				 strerror(-rc));
			return rc;
		}
	}
	if (!root || has_user) {
		/* this thread needs nothing any more */
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if ((rc = caps_set(0, 0, 0))) {
			snprintf(err, errlen, "dropping capabilities: %s", strerror(-rc));
			return rc;
		}
		/* the workers drop what the switch needed, within a step of
		 * their run loops (priv_sync): wait, so that nothing is left
		 * once the daemon says it captures */
		atomic_fetch_add(&gen, 1);
		for (int i = 0; i < 2000 && atomic_load(&nsynced) < atomic_load(&nlimited); i++)
			usleep(1000);
		if (atomic_load(&nsynced) < atomic_load(&nlimited)) {
			snprintf(err, errlen, "%u of %u RX workers did not drop their capabilities "
				 "within 2 s", atomic_load(&nlimited) - atomic_load(&nsynced),
				 atomic_load(&nlimited));
			return -ETIMEDOUT;
		}
		priv_caps_text(priv_kept(), caps, sizeof(caps));
		if (!how[0])
			snprintf(how, sizeof(how), "uid %u", (unsigned)geteuid());
		snprintf(done, donelen, "running as %s; capabilities: none but %s, kept by the "
			 "RX workers for link recovery and effective only while they recover",
			 how, caps);
	}
	return 0;
}
