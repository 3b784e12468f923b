/* captured's configuration.
 *
 * One table of options (config.c) drives the config file parser, the
 * command line, validation and the option list of captured.conf(5).  Each
 * option has a key (frame_size) used in the file, a command-line name with
 * '-' for '_' (--frame-size), a type, a default, a range and a reloadable
 * flag.
 *
 * Types of values:
 *   string    1 to 180 bytes; no control characters, no leading or trailing
 *             blanks, no blank followed by ';' (the file could not hold them)
 *   int       decimal integer
 *   size      integer with an optional binary suffix K M G T P (1K = 1024),
 *             case-insensitive, optionally followed by B or iB: 256K, 1GiB
 *   duration  integer with a suffix ns us ms s m h d (case-sensitive); a bare
 *             number is seconds.  Stored as int64 nanoseconds
 *   enum      one of a fixed list of names; stored as the index in the list
 *   level     integer, or "adaptive" (stored as CONFIG_LEVEL_ADAPTIVE)
 *   bool      yes/no, true/false, on/off, 1/0; stored as 1 or 0
 *   mode      octal file permissions, 0 to 0777 (0660)
 * A string option whose range says "may be empty" also takes "" (key =).
 *
 * The command line overrides the file.  main() builds its getopt_long
 * array from config_getopt_table(), collects table options into a config of
 * their own, loads the file into the real one and merges the command line on
 * top; a reload repeats the last two steps with a fresh config, then
 * compares old and new values of options that are not reloadable:
 *
 *	struct config *args = config_create(), *c = config_create();
 *	struct option *lo = config_getopt_table(main_opts);
 *	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
 *		if (ch >= CONFIG_OPT_BASE && ch < CONFIG_OPT_BASE + CONFIG_NOPTS) {
 *			if (config_set_opt(args, ch - CONFIG_OPT_BASE, optarg, err, sizeof(err)))
 *				die(err);
 *			continue;
 *		}
 *		switch (ch) ...   main's own options
 *	}
 *	free(lo);
 *	if (path && config_load_file(c, path, err, sizeof(err)))
 *		die(err);
 *	config_merge(c, args);
 */
#ifndef CAPTURED_CONFIG_H
#define CAPTURED_CONFIG_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum config_opt {
	CONFIG_STORE,           /* string: the store directory */
	CONFIG_COMPRESSION,     /* enum config_compression */
	CONFIG_LEVEL,           /* level: zstd level -7..19, 0 = stored frames, or adaptive */
	CONFIG_FRAME_SIZE,      /* size: uncompressed bytes per zstd frame */
	CONFIG_ROTATE_SIZE,     /* size: bytes written per file */
	CONFIG_ROTATE_TIME,     /* duration: packet-time span per file */
	CONFIG_RETAIN_SIZE,     /* size: store byte budget, 0 = no limit */
	CONFIG_RETAIN_AGE,      /* duration: oldest packet kept, 0 = no limit */
	CONFIG_RING_BATCHES,    /* int: batches in each writer's ring */
	CONFIG_BATCH_SIZE,      /* size: bytes per batch */
	CONFIG_SNAPLEN,         /* int: bytes captured per packet */
	CONFIG_INTERFACE,       /* string, may be "": the interface to capture from (-i) */
	CONFIG_BACKEND,         /* enum config_backend */
	CONFIG_QUEUES,          /* string: "all" or a list of RX queues, "0,2-3" */
	CONFIG_CPUS,            /* string: "auto" or a list of cores for the workers */
	CONFIG_FANOUT,          /* enum config_fanout: AF_PACKET fanout mode */
	CONFIG_RING_SIZE,       /* size: kernel ring per worker (TPACKET_V3 blocks, AF_XDP UMEM) */
	CONFIG_PROMISC,         /* bool: promiscuous mode */
	CONFIG_FILTER,          /* string, may be "": capture filter (pcap-filter(7)) */
	CONFIG_TIMESTAMP,       /* enum config_timestamp */
	CONFIG_XDP_MODE,        /* enum config_xdp_mode */
	CONFIG_BUSY_POLL,       /* bool: AF_XDP busy polling */
	CONFIG_XDP_ALLOW_ADDRESSED, /* bool: AF_XDP on an interface with an IP address */
	CONFIG_CONTROL_SOCKET,  /* string: path of the control socket */
	CONFIG_CONTROL_GROUP,   /* string, may be "": group owning the control socket */
	CONFIG_CONTROL_MODE,    /* mode: permissions of the control socket */
	CONFIG_USER,            /* string, may be "": user to run as once set up */
	CONFIG_GROUP,           /* string, may be "": group to run as once set up */
	CONFIG_STATS_INTERVAL,  /* duration: statistics, status rates and ISB cadence */
	CONFIG_FLUSH_TIME,      /* duration: longest a packet waits before it is written */
	CONFIG_FLOW_INDEX,      /* bool: flow summaries beside every frame */
	CONFIG_CLOCK_SOURCE,    /* enum config_clock_source: who says how good the clock is */
	CONFIG_PTP_SOCKET,      /* string: ptp4l's management socket (uds_address) */
	CONFIG_PTP_DOMAIN,      /* int: domainNumber of that ptp4l */
	CONFIG_PTP_CLIENT_SOCKET, /* string: the path our management client binds */
	CONFIG_PTP_POLL,        /* duration: how often ptp4l and the PHC are asked */
	CONFIG_CLOCK_TIMEOUT,   /* duration: no answer for this long counts as lost sync */
	CONFIG_CLOCK_LOCK,      /* duration: |offset| to count a sample as locked */
	CONFIG_CLOCK_UNLOCK,    /* duration: |offset| that ends LOCKED */
	CONFIG_CLOCK_LOCK_SAMPLES, /* int: good samples in a row to become LOCKED */
	CONFIG_CLOCK_HOLDOVER,  /* duration: HOLDOVER before FREERUN */
	CONFIG_CLOCK_DRIFT,     /* int: ppb assumed in HOLDOVER for the error bound */
	CONFIG_NOPTS
};

/* Values of CONFIG_COMPRESSION, in the order of its names. */
enum config_compression {
	CONFIG_COMPRESSION_ZSTD,
	CONFIG_COMPRESSION_NONE,
};

enum config_backend { CONFIG_BACKEND_AUTO, CONFIG_BACKEND_AFXDP, CONFIG_BACKEND_AFPACKET };
/* PACKET_FANOUT_HASH, PACKET_FANOUT_QM, PACKET_FANOUT_CPU */
enum config_fanout { CONFIG_FANOUT_HASH, CONFIG_FANOUT_QUEUE, CONFIG_FANOUT_CPU };
enum config_timestamp { CONFIG_TS_AUTO, CONFIG_TS_HARDWARE, CONFIG_TS_SOFTWARE };
enum config_xdp_mode { CONFIG_XDP_AUTO, CONFIG_XDP_NATIVE, CONFIG_XDP_GENERIC };
enum config_clock_source {
	CONFIG_CLOCK_AUTO, CONFIG_CLOCK_PTP4L, CONFIG_CLOCK_SYSTEM, CONFIG_CLOCK_NONE
};

/* config_int(c, CONFIG_LEVEL) for "adaptive". */
#define CONFIG_LEVEL_ADAPTIVE INT32_MIN

/* getopt_long returns CONFIG_OPT_BASE + enum config_opt for table options. */
#define CONFIG_OPT_BASE 0x100

struct config;

/* All options at their defaults.  NULL and errno on failure. */
struct config *config_create(void);
void config_destroy(struct config *c);

/* Set one option from text, by key ("frame_size") or by number.  Returns 0,
 * -EINVAL (unknown key, bad or out-of-range value) or -ENOMEM; err then
 * says why, e.g. "level: '25' out of range -7..19 or adaptive".  On error
 * the option keeps its value.  A successful set marks the option as set
 * for config_merge(). */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);
int config_set_opt(struct config *c, enum config_opt o, const char *value, char *err,
		   size_t errlen);

/* Apply an INI file: key = value lines, in a [captured] section or before
 * any section; ';' and '#' start comment lines, ';' after a blank also ends
 * a value.  Only keys in the file are changed, so load into a fresh config
 * (on reload too: a key deleted from the file returns to its default).  On
 * error err reads "PATH:LINE: message", or "PATH: strerror" if the file
 * cannot be read, and c may hold the lines before the bad one.  Returns 0,
 * -EINVAL, -ENOMEM or the negative errno of opening or reading. */
int config_load_file(struct config *c, const char *path, char *err, size_t errlen);

/* Copy into dst every option that was set in src (by config_set*,
 * config_load_file or an earlier merge).  Returns 0 or -ENOMEM. */
int config_merge(struct config *dst, const struct config *src);

/* Copy one option's value from src into dst (set marks follow src).
 * Returns 0 or -ENOMEM. */
int config_copy_opt(struct config *dst, const struct config *src, enum config_opt o);

/* Long options for getopt_long: the entries of extra (may be NULL; ends
 * with a zero entry) then one per table option with required_argument,
 * flag NULL and val CONFIG_OPT_BASE + option, then a zero entry.  One
 * malloc'd block, names included: release it with free().  NULL and errno
 * on failure. */
struct option *config_getopt_table(const struct option *extra);

/* Values.  config_int: int, size, level, bool, enum index, and duration in
 * ns; 0 for string options.  config_str: a string option's value or an enum
 * option's chosen name; NULL for other types. */
int64_t config_int(const struct config *c, enum config_opt o);
const char *config_str(const struct config *c, enum config_opt o);

/* An option's value as the file would say it ("1M", "adaptive", "yes"). */
void config_value(const struct config *c, enum config_opt o, char *buf, size_t len);

/* The option's key ("frame_size"); NULL if o is out of range. */
const char *config_name(enum config_opt o);
/* Whether a running daemon may apply a new value on reload. */
bool config_reloadable(enum config_opt o);

/* Every option as a roff .TP list (for man/captured.conf.5): key, type,
 * command-line name, help, default, range, reloadable. */
void config_print_man(FILE *f);
/* The effective configuration as an INI file that config_load_file reads
 * back to the same values. */
void config_print(const struct config *c, FILE *f);

/* The value parsers behind the table, for other users of these syntaxes.
 * Return 0, -EINVAL (syntax) or -ERANGE (does not fit int64). */
int config_parse_size(const char *s, int64_t *out);
int config_parse_duration(const char *s, int64_t *out_ns);
int config_parse_bool(const char *s, bool *out);

#endif
