/* Facts about a network interface, for placing and sizing RX workers. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ifinfo.h"

/* One line of a sysfs file; "" when it cannot be read. */
static void read_sys(const char *name, const char *file, char *buf, size_t len)
{
	char path[256];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, file);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static int count_rx_queues(const char *name)
{
	char path[256];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", name);
	dir = opendir(path);
	if (!dir)
		return 1;
	while ((d = readdir(dir)))
		n += !strncmp(d->d_name, "rx-", 3);
	closedir(dir);
	return n ? n : 1;
}

/* "0-3,8-11" as in local_cpulist, into set. */
static void parse_cpus(const char *s, cpu_set_t *set)
{
	int v[CPU_SETSIZE], n, i;

	CPU_ZERO(set);
	n = ifinfo_parse_list(s, CPU_SETSIZE, v, CPU_SETSIZE);
	for (i = 0; i < n; i++)
		CPU_SET(v[i], set);
}

static void find_addresses(struct ifinfo *info)
{
	struct ifaddrs *ifa, *a;
	int fam;

	if (getifaddrs(&ifa))
		return;
	for (a = ifa; a; a = a->ifa_next) {
		if (!a->ifa_addr || strcmp(a->ifa_name, info->name))
			continue;
		fam = a->ifa_addr->sa_family;
		if (fam == AF_INET) {
			inet_ntop(fam, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, info->ip,
				  sizeof(info->ip));
		} else if (fam == AF_INET6) {
			const struct in6_addr *in6 = &((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;

			/* every IPv6 interface has a link-local one; it carries no service */
			if (IN6_IS_ADDR_LINKLOCAL(in6))
				continue;
			inet_ntop(fam, in6, info->ip, sizeof(info->ip));
		} else {
			continue;
		}
		info->has_ip = true;
		break;
	}
	freeifaddrs(ifa);
}

/* An ioctl on the interface through a throwaway socket.  These see the
 * caller's network namespace, which sysfs does not always (nsenter).  Any
 * socket carries them: AF_UNIX, which every kernel has and which the
 * unit's RestrictAddressFamilies= allows. */
static int if_ioctl(const char *name, unsigned long req, struct ifreq *ifr, void *data)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	if (data)
		ifr->ifr_data = data;
	if (ioctl(fd, req, ifr))
		rc = -errno;
	close(fd);
	return rc;
}

/* sysfs belongs to the namespace it was mounted in: trust it only when it
 * shows this very interface. */
static bool sysfs_is_ours(const struct ifinfo *info)
{
	char buf[32];

	read_sys(info->name, "ifindex", buf, sizeof(buf));
	return buf[0] && atoi(buf) == info->ifindex;
}

static void read_device(struct ifinfo *info)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr;

	if (!if_ioctl(info->name, SIOCETHTOOL, &ifr, &di))
		snprintf(info->driver, sizeof(info->driver), "%.31s", di.driver);
	if (!if_ioctl(info->name, SIOCGIFMTU, &ifr, NULL))
		info->mtu = (unsigned)ifr.ifr_mtu;
	if (!if_ioctl(info->name, SIOCGIFFLAGS, &ifr, NULL))
		info->up = ifr.ifr_flags & IFF_UP;
	/* RX queues: the channels in use, as ethtool -l says */
	if (!if_ioctl(info->name, SIOCETHTOOL, &ifr, &ch) && ch.rx_count + ch.combined_count)
		info->rx_queues = (int)(ch.rx_count + ch.combined_count);
}

int ifinfo_get(const char *name, struct ifinfo *info, char *err, size_t errlen)
{
	char buf[1024];

	memset(info, 0, sizeof(*info));
	if (!name || !*name || strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "'%s' is not an interface name", name ? name : "");
		return -EINVAL;
	}
	snprintf(info->name, sizeof(info->name), "%s", name);
	info->ifindex = (int)if_nametoindex(name);
	if (!info->ifindex) {
		snprintf(err, errlen, "no interface '%s' (ip link shows the interfaces)", name);
		return -ENODEV;
	}
	info->rx_queues = 0;
	info->numa_node = -1;
	buf[0] = '\0';
	read_device(info);
	if (sysfs_is_ours(info)) {
		if (!info->rx_queues)
			info->rx_queues = count_rx_queues(name);
		read_sys(name, "device/numa_node", buf, sizeof(buf));
		info->numa_node = buf[0] ? atoi(buf) : -1;
		read_sys(name, "device/local_cpulist", buf, sizeof(buf));
	}
	if (!info->rx_queues)
		info->rx_queues = 1;
	if (info->numa_node < 0 || !buf[0]) {
		/* no device, or a machine without NUMA: every online core */
		FILE *f = fopen("/sys/devices/system/cpu/online", "re");

		buf[0] = '\0';
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		buf[strcspn(buf, "\n")] = '\0';
	}
	parse_cpus(buf, &info->local_cpus);
	if (!CPU_COUNT(&info->local_cpus))
		sched_getaffinity(0, sizeof(info->local_cpus), &info->local_cpus);
	find_addresses(info);
	return 0;
}

int ifinfo_rx_stats(const char *name, struct ifinfo_rx *rx)
{
	struct ifaddrs *ifa, *a;
	int rc = -ENODEV;

	memset(rx, 0, sizeof(*rx));
	if (getifaddrs(&ifa))
		return -errno;
	/* the AF_PACKET entry of each link carries its statistics */
	for (a = ifa; a; a = a->ifa_next) {
		const struct rtnl_link_stats *st = a->ifa_data;

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_PACKET || !st ||
		    strcmp(a->ifa_name, name))
			continue;
		rx->ifindex = ((const struct sockaddr_ll *)a->ifa_addr)->sll_ifindex;
		rx->packets = st->rx_packets;
		rx->bytes = st->rx_bytes;
		rx->missed = st->rx_missed_errors;
		rx->fifo = st->rx_fifo_errors;
		rx->over = st->rx_over_errors;
		rc = 0;
		break;
	}
	freeifaddrs(ifa);
	return rc;
}

int ifinfo_link(int fd, const char *name, int *ifindex, unsigned *flags)
{
	struct ifreq ifr;
	int own = -1, rc = 0;

	*ifindex = 0;
	*flags = 0;
	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -ENODEV;
	if (fd < 0 && (fd = own = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		rc = -errno;
	} else {
		*ifindex = ifr.ifr_ifindex;
		/* a name can change hands between the two: the caller looks again */
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
			rc = -errno;
		else
			*flags = (unsigned short)ifr.ifr_flags;
	}
	if (own >= 0)
		close(own);
	return rc;
}

int ifinfo_parse_list(const char *s, int limit, int *out, int max)
{
	char *end;
	long lo, hi, v;
	int n = 0, i;
	uint8_t *seen;

	if (!s || !*s || limit <= 0)
		return -EINVAL;
	seen = calloc((size_t)limit, 1);
	if (!seen)
		return -ENOMEM;
	while (*s) {
		errno = 0;
		lo = strtol(s, &end, 10);
		if (end == s || errno || lo < 0 || *s == '-' || *s == '+')
			goto bad;
		hi = lo;
		if (*end == '-') {
			s = end + 1;
			hi = strtol(s, &end, 10);
			if (end == s || errno || *s == '-' || *s == '+' || hi < lo)
				goto bad;
		}
		if (hi >= limit || (*end && *end != ','))
			goto bad;
		for (v = lo; v <= hi; v++)
			seen[v] = 1;
		s = *end ? end + 1 : end;
		if (*end == ',' && !*s)
			goto bad;
	}
	for (i = 0; i < limit; i++) {
		if (!seen[i])
			continue;
		if (n == max)
			goto bad;
		out[n++] = i;
	}
	free(seen);
	return n;
bad:
	free(seen);
	return -EINVAL;
}

int ifinfo_promisc(int ifindex)
{
	struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };
	/* protocol 0: the socket receives nothing, it only holds the membership */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}
