/* images.c — the node's local OCI image store (see images.h): import with digest checks,
 * the NAME:TAG index, layers unpacked for overlayfs, the image config. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "images.h"
#include "util.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define ANN_CONTAINERD_NAME "io.containerd.image.name"
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
/* An index may point at an index; deeper nesting is refused rather than followed. */
#define MAX_INDEX_DEPTH 4

static int errf(char *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int errf(char *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, IMAGE_ERR_LEN, fmt, ap);
	va_end(ap);
	return -code;
}

/* --- references --- */

static bool valid_repo_char(char c)
{
	return islower((unsigned char)c) || isdigit((unsigned char)c) || c == '.' || c == '_' ||
	       c == '-' || c == '/';
}

static bool valid_tag(const char *t)
{
	size_t n = strlen(t), i;

	if (!n || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
			return false;
	return true;
}

static bool valid_digest(const char *d)
{
	size_t i;

	if (!d || strncmp(d, "sha256:", 7) || strlen(d) != 7 + 64)
		return false;
	for (i = 7; d[i]; i++)
		if (!isdigit((unsigned char)d[i]) && !(d[i] >= 'a' && d[i] <= 'f'))
			return false;
	return true;
}

int image_normalize(const char *ref, char *out, size_t len, char *err)
{
	char buf[IMAGE_REF_LEN], domain[256], *rest, *at, *colon, *slash;
	const char *tag = "latest", *digest = NULL;
	size_t i;
	int n;

	if (!ref || !*ref)
		return errf(err, EINVAL, "empty image reference");
	if (strlen(ref) >= sizeof(buf))
		return errf(err, ENAMETOOLONG, "image reference '%.64s...' is too long", ref);
	strcpy(buf, ref);
	at = strchr(buf, '@');
	if (at) {
		*at = 0;
		digest = at + 1;
		if (!valid_digest(digest))
			return errf(err, EINVAL, "%s: the digest must be sha256:<64 hex digits>",
				    ref);
	}
	/* The tag is after the last ':' of the last path component (a ':' before a '/' is
	 * a registry port). */
	slash = strrchr(buf, '/');
	colon = strrchr(slash ? slash : buf, ':');
	if (colon) {
		*colon = 0;
		tag = colon + 1;
		if (!valid_tag(tag))
			return errf(err, EINVAL, "%s: invalid tag '%s'", ref, tag);
	}
	/* The first component is a registry when it looks like a host name. */
	slash = strchr(buf, '/');
	if (slash && (memchr(buf, '.', slash - buf) || memchr(buf, ':', slash - buf) ||
		      !strncmp(buf, "localhost/", 10))) {
		snprintf(domain, sizeof(domain), "%.*s", (int)(slash - buf), buf);
		rest = slash + 1;
	} else {
		strcpy(domain, "docker.io");
		rest = buf;
	}
	if (!strcmp(domain, "index.docker.io"))
		strcpy(domain, "docker.io");
	if (!*rest)
		return errf(err, EINVAL, "%s: no repository name", ref);
	for (i = 0; rest[i]; i++) {
		if (isupper((unsigned char)rest[i]))
			return errf(err, EINVAL, "%s: repository names must be lowercase", ref);
		if (!valid_repo_char(rest[i]))
			return errf(err, EINVAL, "%s: invalid character '%c' in the repository "
				    "name", ref, rest[i]);
	}
	if (rest[0] == '/' || rest[strlen(rest) - 1] == '/' || strstr(rest, "//"))
		return errf(err, EINVAL, "%s: empty path component in the repository name", ref);
	if (digest && !colon)
		n = snprintf(out, len, "%s/%s%s@%s", domain,
			     !strcmp(domain, "docker.io") && !strchr(rest, '/') ? "library/" : "",
			     rest, digest);
	else
		n = snprintf(out, len, "%s/%s%s:%s%s%s", domain,
			     !strcmp(domain, "docker.io") && !strchr(rest, '/') ? "library/" : "",
			     rest, tag, digest ? "@" : "", digest ? digest : "");
	if (n < 0 || (size_t)n >= len)
		return errf(err, ENAMETOOLONG, "%s: normalised reference too long", ref);
	return 0;
}

void image_familiar(const char *normalized, char *out, size_t len)
{
	const char *s = normalized;

	if (!strncmp(s, "docker.io/library/", 18))
		s += 18;
	else if (!strncmp(s, "docker.io/", 10))
		s += 10;
	snprintf(out, len, "%s", s);
}

/* "docker.io/library/busybox:latest" -> name "docker.io/library/busybox", tag "latest". */
static void split_ref(const char *full, struct image_info *info)
{
	const char *colon = strrchr(full, ':');

	snprintf(info->name, sizeof(info->name), "%.*s", (int)(colon - full), full);
	snprintf(info->tag, sizeof(info->tag), "%s", colon + 1);
}

/* --- files --- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) && errno != ENOENT ? -1 : 0;
}

static int rm_rf(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT)
		return -errno;
	return 0;
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

/* The store's lock: shared for readers and unpacking, exclusive for import and remove
 * (which also clears tmp/ of whatever a crashed import left). */
static int store_lock(const char *root, bool exclusive, char *err)
{
	char path[PATH_MAX];
	int fd;

	if (exclusive) {
		static const char *const subdirs[] = { "blobs/sha256", "layers/sha256", "tmp" };
		size_t i;
		int ret;

		for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
			if (pathf(path, sizeof(path), "%s/%s", root, subdirs[i]))
				return errf(err, ENAMETOOLONG, "%s: path too long", root);
			ret = mkdir_p(path, 0700);
			if (ret)
				return errf(err, -ret, "cannot create %s: %s", path,
					    strerror(-ret));
		}
	}
	if (pathf(path, sizeof(path), "%s/.lock", root))
		return errf(err, ENAMETOOLONG, "%s: path too long", root);
	fd = open(path, O_RDWR | O_CLOEXEC | (exclusive ? O_CREAT : 0), 0600);
	if (fd < 0 && errno == ENOENT)
		return -ENOENT; /* no store yet: readers see it empty */
	if (fd < 0)
		return errf(err, errno, "cannot open %s: %s", path, strerror(errno));
	if (flock(fd, exclusive ? LOCK_EX : LOCK_SH)) {
		int e = errno;

		close(fd);
		return errf(err, e, "cannot lock %s: %s", path, strerror(e));
	}
	if (exclusive) {
		struct dirent *de;
		DIR *d;

		if (!pathf(path, sizeof(path), "%s/tmp", root) && (d = opendir(path))) {
			while ((de = readdir(d))) {
				char p[PATH_MAX];

				if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
				    !pathf(p, sizeof(p), "%s/%s", path, de->d_name))
					rm_rf(p);
			}
			closedir(d);
		}
	}
	return fd;
}

static void store_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int blob_path(char *buf, size_t len, const char *dir, const char *digest)
{
	return pathf(buf, len, "%s/blobs/sha256/%s", dir, digest + 7);
}

/* Copy a blob of the layout at SRC into the store, verifying size and digest on the way;
 * it becomes visible under blobs/ only once verified (rename). */
static int copy_blob(const char *root, const char *src, const char *digest, json_int_t size,
		     char *err)
{
	char from[PATH_MAX], tmp[PATH_MAX], to[PATH_MAX], got[IMAGE_DIGEST_LEN];
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	EVP_MD_CTX *ctx = NULL;
	int in = -1, out = -1, ret = 0;
	long long total = 0;
	unsigned int mdlen, i;
	ssize_t n;

	if (!valid_digest(digest))
		return errf(err, EINVAL, "unsupported or malformed digest '%s' (want sha256:<hex>)",
			    digest ? digest : "(none)");
	if (blob_path(from, sizeof(from), src, digest) || blob_path(to, sizeof(to), root, digest) ||
	    pathf(tmp, sizeof(tmp), "%s/tmp/blob-XXXXXX", root))
		return errf(err, ENAMETOOLONG, "path too long for blob %s", digest);
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return errf(err, errno, "missing blob %s: %s: %s", digest, from, strerror(errno));
	out = mkstemp(tmp);
	if (out < 0) {
		ret = errf(err, errno, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		ret = errf(err, ENOMEM, "cannot start sha256");
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, n);
		total += n;
		if (write(out, buf, n) != n) {
			ret = errf(err, errno ? errno : EIO, "cannot write %s: %s", tmp,
				   strerror(errno ? errno : EIO));
			goto out;
		}
	}
	if (n < 0) {
		ret = errf(err, errno, "cannot read %s: %s", from, strerror(errno));
		goto out;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	strcpy(got, "sha256:");
	for (i = 0; i < mdlen; i++)
		sprintf(got + 7 + 2 * i, "%02x", md[i]);
	if (strcmp(got, digest)) {
		ret = errf(err, EBADMSG, "bad digest: blob %s has content with digest %s "
			   "(corrupt or altered archive); nothing imported", digest, got);
		goto out;
	}
	if (size >= 0 && total != size) {
		ret = errf(err, EBADMSG, "blob %s is %lld bytes, its descriptor says %lld",
			   digest, total, (long long)size);
		goto out;
	}
	if (fchmod(out, 0644) || fsync(out) || rename(tmp, to))
		ret = errf(err, errno, "cannot store blob %s: %s", to, strerror(errno));
out:
	if (out >= 0) {
		close(out);
		if (ret)
			unlink(tmp);
	}
	EVP_MD_CTX_free(ctx);
	close(in);
	return ret;
}

static json_t *load_json(const char *path, const char *what, char *err, int *ret)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);

	*ret = 0;
	if (!j) {
		if (access(path, F_OK))
			*ret = errf(err, ENOENT, "no %s: %s does not exist", what, path);
		else
			*ret = errf(err, EBADMSG, "%s %s is not valid JSON: %s (line %d)", what,
				    path, je.text, je.line);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*ret = errf(err, EBADMSG, "%s %s is not a JSON object", what, path);
		return NULL;
	}
	return j;
}

static json_t *load_blob_json(const char *dir, const char *digest, char *err, int *ret)
{
	char path[PATH_MAX];

	if (!valid_digest(digest) || blob_path(path, sizeof(path), dir, digest)) {
		*ret = errf(err, EINVAL, "malformed digest '%s'", digest ? digest : "(none)");
		return NULL;
	}
	return load_json(path, "blob", err, ret);
}

/* --- unpacking tar streams --- */

/* "./a/../b" and "/a" are names of a tar entry that would leave the target directory:
 * refuse them; strip leading "/" and "./". */
static int clean_entry_name(const char *name, char *out, size_t len)
{
	const char *p;

	while (*name == '/' || (name[0] == '.' && name[1] == '/'))
		name += name[0] == '/' ? 1 : 2;
	for (p = name; *p; ) {
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))
			return -EPERM;
		p = strchr(p, '/');
		if (!p)
			break;
		p++;
	}
	if (pathf(out, len, "%s", name))
		return -ENAMETOOLONG;
	while (*out && out[strlen(out) - 1] == '/')
		out[strlen(out) - 1] = 0;
	return 0;
}

/* Whether a directory of the layer under DEST (REL, relative, may be empty) is reached
 * through a symlink: a layer's "etc -> /etc" must not turn its "etc/.wh.passwd" into a
 * deletion on the host. */
static bool through_symlink(const char *dest, const char *rel, size_t rel_len)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 1; i <= rel_len; i++) {
		if (i < rel_len && rel[i] != '/')
			continue;
		if (pathf(path, sizeof(path), "%s/%.*s", dest, (int)i, rel))
			return true;
		if (!lstat(path, &st) && S_ISLNK(st.st_mode))
			return true;
	}
	return false;
}

/* overlayfs's whiteout forms: ".wh.NAME" becomes a 0/0 char device NAME, ".wh..wh..opq"
 * marks its directory opaque. Returns 1 when the entry was one of them. */
static int apply_whiteout(const char *dest, const char *name, char *err)
{
	const char *base = strrchr(name, '/');
	char dir[PATH_MAX], path[PATH_MAX];
	int ret;

	base = base ? base + 1 : name;
	if (strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
		return 0;
	if (through_symlink(dest, name, base - name))
		return errf(err, EPERM, "whiteout %s: its directory is a symlink in the layer",
			    name);
	if (pathf(dir, sizeof(dir), "%s/%.*s", dest, (int)(base - name), name))
		return errf(err, ENAMETOOLONG, "%s: path too long", name);
	ret = mkdir_p(dir, 0755);
	if (ret)
		return errf(err, -ret, "cannot create %s: %s", dir, strerror(-ret));
	if (!strcmp(base, WHITEOUT_OPAQUE)) {
		if (setxattr(dir, "trusted.overlay.opaque", "y", 1, 0))
			return errf(err, errno, "cannot mark %s opaque "
				    "(trusted.overlay.opaque): %s", dir, strerror(errno));
		return 1;
	}
	if (pathf(path, sizeof(path), "%s/%s", dir, base + strlen(WHITEOUT_PREFIX)))
		return errf(err, ENAMETOOLONG, "%s: path too long", name);
	rm_rf(path);
	if (mknod(path, S_IFCHR | 0, makedev(0, 0)))
		return errf(err, errno, "cannot create whiteout %s: %s", path, strerror(errno));
	return 1;
}

/* Unpack the tar (any compression libarchive knows) at ARCHIVE into DEST (an absolute
 * path without symlinks). A layer keeps owners, modes, times and xattrs and turns its
 * whiteouts into overlayfs ones; an OCI archive is only files and directories. */
static int untar(const char *archive, const char *dest, bool layer, char *err)
{
	int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		    ARCHIVE_EXTRACT_SECURE_SYMLINKS;
	struct archive *a = archive_read_new(), *w = archive_write_disk_new();
	struct archive_entry *e;
	int ret = 0, r, entries = 0;

	if (layer)
		flags |= ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR;
	if (!a || !w) {
		ret = errf(err, ENOMEM, "out of memory");
		goto out;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_write_disk_set_options(w, flags);
	if (archive_read_open_filename(a, archive, 65536) != ARCHIVE_OK) {
		/* libarchive's ARCHIVE_ERRNO_FILE_FORMAT (private) is EILSEQ on Linux. */
		if (archive_errno(a) == EILSEQ)
			ret = errf(err, EBADMSG, "%s: not a tar archive (%s)", archive,
				   archive_error_string(a));
		else
			ret = errf(err, EIO, "cannot open %s: %s", archive,
				   archive_error_string(a));
		goto out;
	}
	for (;;) {
		char name[PATH_MAX], full[PATH_MAX];
		const char *link;
		const void *buf;
		size_t size;
		la_int64_t off;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			ret = entries ? errf(err, EBADMSG, "%s: broken tar after %d entries: %s",
					     archive, entries, archive_error_string(a)) :
					errf(err, EBADMSG, "%s: not a tar archive (%s)", archive,
					     archive_error_string(a));
			goto out;
		}
		entries++;
		if (clean_entry_name(archive_entry_pathname(e), name, sizeof(name))) {
			ret = errf(err, EPERM, "%s: entry '%s' points outside the archive", archive,
				   archive_entry_pathname(e));
			goto out;
		}
		if (!*name)
			continue; /* "./": the target directory itself */
		if (!layer && archive_entry_filetype(e) != AE_IFREG &&
		    archive_entry_filetype(e) != AE_IFDIR)
			continue;
		if (layer) {
			ret = apply_whiteout(dest, name, err);
			if (ret < 0)
				goto out;
			if (ret) {
				ret = 0;
				continue;
			}
		}
		if (pathf(full, sizeof(full), "%s/%s", dest, name)) {
			ret = errf(err, ENAMETOOLONG, "%s: %s: path too long", archive, name);
			goto out;
		}
		archive_entry_set_pathname(e, full);
		link = archive_entry_hardlink(e);
		if (link) {
			if (clean_entry_name(link, name, sizeof(name)) ||
			    pathf(full, sizeof(full), "%s/%s", dest, name)) {
				ret = errf(err, EPERM, "%s: hard link to '%s' points outside the "
					   "archive", archive, link);
				goto out;
			}
			archive_entry_set_hardlink(e, full);
		}
		r = archive_write_header(w, e);
		if (r >= ARCHIVE_WARN && archive_entry_size(e) > 0) {
			while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
				if (archive_write_data_block(w, buf, size, off) < ARCHIVE_WARN) {
					r = ARCHIVE_FATAL;
					break;
				}
			if (r == ARCHIVE_EOF)
				r = ARCHIVE_OK;
		}
		if (r >= ARCHIVE_WARN)
			r = archive_write_finish_entry(w);
		if (r < ARCHIVE_WARN) {
			ret = errf(err, EIO, "%s: cannot unpack %s: %s", archive,
				   archive_entry_pathname(e),
				   archive_error_string(archive_errno(w) ? w : a));
			goto out;
		}
	}
	if (archive_write_close(w) != ARCHIVE_OK)
		ret = errf(err, EIO, "%s: %s", archive, archive_error_string(w));
out:
	archive_read_free(a);
	archive_write_free(w);
	return ret;
}

/* --- the index of names --- */

static json_t *index_load(const char *root, char *err, int *ret)
{
	char path[PATH_MAX];
	json_t *idx, *images;

	if (pathf(path, sizeof(path), "%s/index.json", root)) {
		*ret = errf(err, ENAMETOOLONG, "%s: path too long", root);
		return NULL;
	}
	if (access(path, F_OK)) {
		*ret = 0;
		return json_pack("{s:{}}", "images");
	}
	idx = load_json(path, "image index", err, ret);
	if (!idx)
		return NULL;
	images = json_object_get(idx, "images");
	if (!json_is_object(images)) {
		json_decref(idx);
		*ret = errf(err, EBADMSG, "%s has no \"images\" object", path);
		return NULL;
	}
	return idx;
}

/* Write index.json whole to a temporary file and rename it over the old one: a reader
 * sees the old names or the new ones, never half of them. */
static int index_save(const char *root, json_t *idx, char *err)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, ret = 0;

	if (pathf(path, sizeof(path), "%s/index.json", root) ||
	    pathf(tmp, sizeof(tmp), "%s/tmp/index-XXXXXX", root))
		return errf(err, ENAMETOOLONG, "%s: path too long", root);
	fd = mkstemp(tmp);
	if (fd < 0)
		return errf(err, errno, "cannot create %s: %s", tmp, strerror(errno));
	if (json_dumpfd(idx, fd, JSON_INDENT(2) | JSON_SORT_KEYS) || fchmod(fd, 0644) ||
	    fsync(fd) || rename(tmp, path)) {
		ret = errf(err, errno ? errno : EIO, "cannot write %s: %s", path,
			   strerror(errno ? errno : EIO));
		unlink(tmp);
	}
	close(fd);
	if (!ret)
		fsync_dir(root);
	return ret;
}

static void info_from_json(const char *ref, const json_t *o, struct image_info *info)
{
	memset(info, 0, sizeof(*info));
	split_ref(ref, info);
	snprintf(info->digest, sizeof(info->digest), "%s",
		 json_string_value(json_object_get(o, "digest")) ?: "");
	snprintf(info->manifest, sizeof(info->manifest), "%s",
		 json_string_value(json_object_get(o, "manifest")) ?: "");
	snprintf(info->config, sizeof(info->config), "%s",
		 json_string_value(json_object_get(o, "config")) ?: "");
	info->size = json_integer_value(json_object_get(o, "size"));
}

/* --- import --- */

struct import_ctx {
	const char *root;
	const char *layout;
	char *err;
};

static bool is_layer_type(const char *mt)
{
	static const char *const types[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	size_t i;

	for (i = 0; mt && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(mt, types[i]))
			return true;
	return false;
}

static int copy_desc(struct import_ctx *c, const json_t *desc)
{
	const json_t *size = json_object_get(desc, "size");

	return copy_blob(c->root, c->layout, json_string_value(json_object_get(desc, "digest")),
			 json_is_integer(size) ? json_integer_value(size) : -1, c->err);
}

static bool is_amd64(const json_t *m)
{
	const json_t *p = json_object_get(m, "platform");
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *arch = json_string_value(json_object_get(p, "architecture"));

	return os && arch && !strcmp(os, "linux") && !strcmp(arch, "amd64");
}

/* Copy the manifest DESC names and everything it needs (for an index: the linux/amd64
 * manifest's tree) into the store; fill the manifest, config and size of INFO. */
static int import_desc(struct import_ctx *c, const json_t *desc, struct image_info *info,
		       int depth)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	const json_t *m, *cfg, *layers;
	json_t *blob;
	size_t i;
	int ret;

	ret = copy_desc(c, desc);
	if (ret)
		return ret;
	blob = load_blob_json(c->root, digest, c->err, &ret);
	if (!blob)
		return ret;
	if (!mt)
		mt = json_string_value(json_object_get(blob, "mediaType"));
	if (!mt && json_is_array(json_object_get(blob, "manifests")))
		mt = MT_OCI_INDEX;
	if (!mt && json_is_array(json_object_get(blob, "layers")))
		mt = MT_OCI_MANIFEST;
	if (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST))) {
		const json_t *pick = NULL, *ms = json_object_get(blob, "manifests");
		char seen[256] = "";

		if (depth >= MAX_INDEX_DEPTH) {
			ret = errf(c->err, ELOOP, "index %s: indexes nested too deep", digest);
			goto out;
		}
		json_array_foreach(ms, i, m) {
			const json_t *p = json_object_get(m, "platform");

			if (is_amd64(m)) {
				pick = m;
				break;
			}
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s/%s",
				 *seen ? ", " : "",
				 json_string_value(json_object_get(p, "os")) ?: "?",
				 json_string_value(json_object_get(p, "architecture")) ?: "?");
		}
		/* A one-manifest index without platforms (some tools write those). */
		if (!pick && json_array_size(ms) == 1 &&
		    !json_object_get(json_array_get(ms, 0), "platform"))
			pick = json_array_get(ms, 0);
		if (!pick) {
			ret = errf(c->err, ENOENT, "no linux/amd64 manifest in index %s "
				   "(it has: %s)", digest, *seen ? seen : "no manifests");
			goto out;
		}
		ret = import_desc(c, pick, info, depth + 1);
		goto out;
	}
	if (!mt || (strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST))) {
		ret = errf(c->err, EPROTONOSUPPORT, "%s: unknown media type '%s' (want an OCI or "
			   "Docker v2 image manifest or index)", digest, mt ? mt : "(none)");
		goto out;
	}
	snprintf(info->manifest, sizeof(info->manifest), "%s", digest);
	cfg = json_object_get(blob, "config");
	mt = json_string_value(json_object_get(cfg, "mediaType"));
	if (!mt || (strcmp(mt, MT_OCI_CONFIG) && strcmp(mt, MT_DOCKER_CONFIG))) {
		ret = errf(c->err, EPROTONOSUPPORT, "manifest %s: unknown config media type '%s' "
			   "(not a container image?)", digest, mt ? mt : "(none)");
		goto out;
	}
	ret = copy_desc(c, cfg);
	if (ret)
		goto out;
	snprintf(info->config, sizeof(info->config), "%s",
		 json_string_value(json_object_get(cfg, "digest")));
	info->size = json_integer_value(json_object_get(cfg, "size"));
	layers = json_object_get(blob, "layers");
	if (!json_is_array(layers)) {
		ret = errf(c->err, EBADMSG, "manifest %s has no layers array", digest);
		goto out;
	}
	json_array_foreach(layers, i, m) {
		mt = json_string_value(json_object_get(m, "mediaType"));
		if (!is_layer_type(mt)) {
			ret = errf(c->err, EPROTONOSUPPORT, "manifest %s, layer %zu: unknown media "
				   "type '%s'", digest, i, mt ? mt : "(none)");
			goto out;
		}
		ret = copy_desc(c, m);
		if (ret)
			goto out;
		info->size += json_integer_value(json_object_get(m, "size"));
	}
out:
	json_decref(blob);
	return ret;
}

/* The name of one image of a layout's index.json: REF when given, else the annotations
 * (containerd's full name first; an OCI ref.name that is only a tag needs REF). */
static int desc_ref(const json_t *desc, const char *ref, char *out, char *err)
{
	const json_t *ann = json_object_get(desc, "annotations");
	const char *cname = json_string_value(json_object_get(ann, ANN_CONTAINERD_NAME));
	const char *rname = json_string_value(json_object_get(ann, ANN_REF_NAME));

	if (ref)
		return image_normalize(ref, out, IMAGE_REF_LEN, err);
	if (cname)
		return image_normalize(cname, out, IMAGE_REF_LEN, err);
	if (rname && (strchr(rname, ':') || strchr(rname, '/')))
		return image_normalize(rname, out, IMAGE_REF_LEN, err);
	if (rname)
		return errf(err, EINVAL, "the layout names only the tag '%s' (%s): give NAME:TAG",
			    rname, ANN_REF_NAME);
	return errf(err, EINVAL, "no name: the layout has no %s annotation; give NAME:TAG",
		    ANN_REF_NAME);
}

/* Which entries of the layout's index.json to import: with REF, the one entry, or the one
 * whose annotations name REF (or REF's tag); without, every entry. */
static int pick_entries(const json_t *ms, const char *ref, size_t *which, size_t *n, char *err)
{
	char want[IMAGE_REF_LEN], have[IMAGE_REF_LEN], e2[IMAGE_ERR_LEN];
	const char *tag;
	const json_t *m;
	size_t i;
	int ret;

	*n = 0;
	if (!json_array_size(ms))
		return errf(err, ENOENT, "the layout's index.json lists no manifests");
	if (!ref) {
		for (i = 0; i < json_array_size(ms); i++)
			which[(*n)++] = i;
		return 0;
	}
	if (json_array_size(ms) == 1) {
		which[(*n)++] = 0;
		return 0;
	}
	ret = image_normalize(ref, want, sizeof(want), err);
	if (ret)
		return ret;
	tag = strrchr(want, ':') + 1;
	json_array_foreach(ms, i, m) {
		const json_t *ann = json_object_get(m, "annotations");
		const char *rname = json_string_value(json_object_get(ann, ANN_REF_NAME));

		if ((!desc_ref(m, NULL, have, e2) && !strcmp(have, want)) ||
		    (rname && !strchr(rname, ':') && !strchr(rname, '/') && !strcmp(rname, tag))) {
			which[(*n)++] = i;
			return 0;
		}
	}
	return errf(err, ENOENT, "the layout holds %zu images and none is named %s",
		    json_array_size(ms), ref);
}

/* An OCI archive is unpacked into tmp/ (only files and directories) and read as a layout. */
static int open_source(const char *root, const char *src, char *layout, size_t len, bool *tmp,
		       char *err)
{
	struct stat st;
	int ret;

	*tmp = false;
	if (stat(src, &st))
		return errf(err, errno, "%s: %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return pathf(layout, len, "%s", src) ? errf(err, ENAMETOOLONG, "%s: too long", src)
						      : 0;
	if (!S_ISREG(st.st_mode))
		return errf(err, EINVAL, "%s: neither an OCI archive nor an OCI layout directory",
			    src);
	if (pathf(layout, len, "%s/tmp/archive-XXXXXX", root) || !mkdtemp(layout))
		return errf(err, errno, "cannot make a directory under %s/tmp: %s", root,
			    strerror(errno));
	*tmp = true;
	ret = untar(src, layout, false, err);
	return ret;
}

static void collect_garbage(const char *root, json_t *idx);

int image_import(const char *root, const char *src, const char *ref, struct image_info **out,
		 size_t *nout, char *note, size_t note_len, char *err)
{
	char rroot[PATH_MAX], layout[PATH_MAX], path[PATH_MAX], full[IMAGE_REF_LEN];
	struct import_ctx c = { .layout = layout, .err = err };
	json_t *lidx = NULL, *idx = NULL, *ms, *images;
	struct image_info *infos = NULL;
	size_t *which = NULL, n = 0, i;
	bool tmp = false;
	int lock, ret, gc_ret;

	*out = NULL;
	*nout = 0;
	if (note_len)
		note[0] = 0;
	if (ref && (ret = image_normalize(ref, full, sizeof(full), err)))
		return ret;
	if (ref && strchr(full, '@'))
		return errf(err, EINVAL, "%s: name the image NAME:TAG, not by digest", ref);
	lock = store_lock(root, true, err);
	if (lock < 0)
		return lock;
	/* libarchive refuses to write through symlinks, also those above the target. */
	if (!realpath(root, rroot)) {
		ret = errf(err, errno, "%s: %s", root, strerror(errno));
		goto out;
	}
	c.root = rroot;
	ret = open_source(rroot, src, layout, sizeof(layout), &tmp, err);
	if (ret)
		goto out;
	if (pathf(path, sizeof(path), "%s/index.json", layout)) {
		ret = errf(err, ENAMETOOLONG, "%s: too long", layout);
		goto out;
	}
	if (access(path, F_OK)) {
		ret = errf(err, ENOENT, "%s: no index.json: not an OCI image layout%s", src,
			   tmp ? " (a docker save archive from Docker before 25 is not OCI)" : "");
		goto out;
	}
	lidx = load_json(path, "OCI index", err, &ret);
	if (!lidx)
		goto out;
	ms = json_object_get(lidx, "manifests");
	which = calloc(json_array_size(ms) + 1, sizeof(*which));
	infos = calloc(json_array_size(ms) + 1, sizeof(*infos));
	if (!which || !infos) {
		ret = errf(err, ENOMEM, "out of memory");
		goto out;
	}
	ret = pick_entries(ms, ref, which, &n, err);
	if (ret)
		goto out;
	/* Every name is resolved and every blob verified before any name is written. */
	for (i = 0; i < n; i++) {
		const json_t *desc = json_array_get(ms, which[i]);

		ret = desc_ref(desc, ref, full, err);
		if (!ret)
			ret = import_desc(&c, desc, &infos[i], 0);
		if (ret)
			goto out;
		split_ref(full, &infos[i]);
		snprintf(infos[i].digest, sizeof(infos[i].digest), "%s",
			 json_string_value(json_object_get(desc, "digest")));
	}
	idx = index_load(rroot, err, &ret);
	if (!idx)
		goto out;
	images = json_object_get(idx, "images");
	for (i = 0; i < n; i++) {
		const char *old;

		snprintf(full, sizeof(full), "%s:%s", infos[i].name, infos[i].tag);
		old = json_string_value(json_object_get(json_object_get(images, full), "digest"));
		if (old && strcmp(old, infos[i].digest) && note_len)
			snprintf(note + strlen(note), note_len - strlen(note),
				 "%s%s pointed to %s, now to %s (replaced, like docker tag)",
				 *note ? "; " : "", full, old, infos[i].digest);
		json_object_set_new(images, full, json_pack("{s:s,s:s,s:s,s:I}", "digest",
				    infos[i].digest, "manifest", infos[i].manifest, "config",
				    infos[i].config, "size", (json_int_t)infos[i].size));
	}
	ret = index_save(rroot, idx, err);
	if (!ret) {
		*out = infos;
		*nout = n;
		infos = NULL;
	}
out:
	if (tmp)
		rm_rf(layout);
	/* A refused import leaves no blobs behind either. */
	if (ret && c.root) {
		char gc_err[IMAGE_ERR_LEN];
		json_t *cur = index_load(c.root, gc_err, &gc_ret);

		if (cur)
			collect_garbage(c.root, cur);
		json_decref(cur);
	}
	json_decref(lidx);
	json_decref(idx);
	free(which);
	free(infos);
	store_unlock(lock);
	return ret;
}

/* --- queries --- */

static int cmp_info(const void *a, const void *b)
{
	const struct image_info *x = a, *y = b;
	int d = strcmp(x->name, y->name);

	return d ? d : strcmp(x->tag, y->tag);
}

int image_list(const char *root, struct image_info **out, size_t *n, char *err)
{
	const char *key;
	json_t *idx, *v;
	int lock, ret;

	*out = NULL;
	*n = 0;
	lock = store_lock(root, false, err);
	if (lock == -ENOENT)
		return 0;
	if (lock < 0)
		return lock;
	idx = index_load(root, err, &ret);
	if (idx) {
		json_t *images = json_object_get(idx, "images");

		*out = calloc(json_object_size(images) + 1, sizeof(**out));
		if (!*out)
			ret = errf(err, ENOMEM, "out of memory");
		json_object_foreach(images, key, v)
			if (*out && strchr(key, ':'))
				info_from_json(key, v, &(*out)[(*n)++]);
		if (*out)
			qsort(*out, *n, sizeof(**out), cmp_info);
	}
	json_decref(idx);
	store_unlock(lock);
	return ret;
}

/* Look REF up in the loaded index (the store is locked by the caller). */
static int lookup_locked(const char *root, const char *ref, struct image_info *info, char *err)
{
	char full[IMAGE_REF_LEN], fam[IMAGE_REF_LEN], *at;
	const json_t *o = NULL;
	json_t *idx;
	int ret;

	ret = image_normalize(ref, full, sizeof(full), err);
	if (ret)
		return ret;
	idx = index_load(root, err, &ret);
	if (!idx)
		return ret;
	at = strchr(full, '@');
	if (at) {
		/* NAME@DIGEST (or NAME:TAG@DIGEST): any tag of NAME pointing there. */
		const char *key;
		json_t *v;
		size_t nlen;

		*at = 0;
		if (strrchr(full, ':') > strrchr(full, '/'))
			*strrchr(full, ':') = 0;
		nlen = strlen(full);
		json_object_foreach(json_object_get(idx, "images"), key, v) {
			const char *d = json_string_value(json_object_get(v, "digest"));
			const char *md = json_string_value(json_object_get(v, "manifest"));

			if (!strncmp(key, full, nlen) && key[nlen] == ':' &&
			    ((d && !strcmp(d, at + 1)) || (md && !strcmp(md, at + 1)))) {
				info_from_json(key, v, info);
				json_decref(idx);
				return 0;
			}
		}
		*at = '@';
	} else {
		o = json_object_get(json_object_get(idx, "images"), full);
	}
	if (o)
		info_from_json(full, o, info);
	json_decref(idx);
	if (o)
		return 0;
	image_familiar(full, fam, sizeof(fam));
	return errf(err, ENOENT, "image %s is not in the node's image store (%s); import it "
		    "with: kbpfctl image import <oci-archive|oci-layout-dir> %s", full, root, fam);
}

int image_lookup(const char *root, const char *ref, struct image_info *info, char *err)
{
	int lock = store_lock(root, false, err), ret;

	if (lock == -ENOENT) {
		char full[IMAGE_REF_LEN], fam[IMAGE_REF_LEN];

		ret = image_normalize(ref, full, sizeof(full), err);
		if (ret)
			return ret;
		image_familiar(full, fam, sizeof(fam));
		return errf(err, ENOENT, "image %s is not in the node's image store (%s is empty); "
			    "import it with: kbpfctl image import <oci-archive|oci-layout-dir> %s",
			    full, root, fam);
	}
	if (lock < 0)
		return lock;
	ret = lookup_locked(root, ref, info, err);
	store_unlock(lock);
	return ret;
}

/* The layers array of the image's manifest (a new reference). */
static json_t *manifest_layers(const char *root, const char *manifest, char *err, int *ret)
{
	json_t *m = load_blob_json(root, manifest, err, ret), *layers;

	if (!m)
		return NULL;
	layers = json_incref(json_object_get(m, "layers"));
	json_decref(m);
	if (!json_is_array(layers)) {
		json_decref(layers);
		*ret = errf(err, EBADMSG, "manifest %s has no layers", manifest);
		return NULL;
	}
	return layers;
}

/* --- removal --- */

static bool mounted_somewhere(const char *path)
{
	char line[8192];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, path) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Delete the blobs and unpacked layers no name uses any more. */
static void collect_garbage(const char *root, json_t *idx)
{
	static const char *const kinds[] = { "blobs", "layers" };
	json_t *keep = json_object(), *v, *layers, *l;
	char dir[PATH_MAX], path[PATH_MAX], e[IMAGE_ERR_LEN];
	const char *key, *fields[] = { "digest", "manifest", "config" };
	struct dirent *de;
	size_t i, k;
	int ret;
	DIR *d;

	json_object_foreach(json_object_get(idx, "images"), key, v) {
		for (i = 0; i < 3; i++) {
			const char *dg = json_string_value(json_object_get(v, fields[i]));

			if (dg)
				json_object_set_new(keep, dg + 7, json_true());
		}
		layers = manifest_layers(root, json_string_value(json_object_get(v, "manifest")),
					 e, &ret);
		json_array_foreach(layers, i, l) {
			const char *dg = json_string_value(json_object_get(l, "digest"));

			if (valid_digest(dg))
				json_object_set_new(keep, dg + 7, json_true());
		}
		json_decref(layers);
	}
	for (k = 0; k < 2; k++) {
		if (pathf(dir, sizeof(dir), "%s/%s/sha256", root, kinds[k]) || !(d = opendir(dir)))
			continue;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.' || json_object_get(keep, de->d_name) ||
			    pathf(path, sizeof(path), "%s/%s", dir, de->d_name))
				continue;
			/* A running container's rootfs still has it as a lower directory. */
			if (k == 1 && mounted_somewhere(path))
				continue;
			rm_rf(path);
		}
		closedir(d);
	}
	json_decref(keep);
}

int image_remove(const char *root, const char *ref, char *err)
{
	struct image_info info;
	char full[IMAGE_REF_LEN];
	json_t *idx = NULL;
	int lock, ret;

	ret = image_normalize(ref, full, sizeof(full), err);
	if (ret)
		return ret;
	if (strchr(full, '@'))
		return errf(err, EINVAL, "%s: remove an image by NAME:TAG", ref);
	lock = store_lock(root, true, err);
	if (lock < 0)
		return lock;
	ret = lookup_locked(root, full, &info, err);
	if (!ret)
		idx = index_load(root, err, &ret);
	if (idx) {
		json_object_del(json_object_get(idx, "images"), full);
		ret = index_save(root, idx, err);
		if (!ret)
			collect_garbage(root, idx);
	}
	json_decref(idx);
	store_unlock(lock);
	return ret;
}

/* --- unpacked layers and config --- */

void image_free_strv(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Unpack one layer blob into layers/sha256/HEX unless an earlier call did; unpacked in
 * tmp/ and renamed, so a half-unpacked layer is never used. */
static int unpack_layer(const char *root, const char *digest, char *out, size_t len, char *err)
{
	char blob[PATH_MAX], tmp[PATH_MAX];
	struct stat st;
	int ret;

	if (!valid_digest(digest))
		return errf(err, EINVAL, "malformed layer digest '%s'", digest ? digest : "(none)");
	if (pathf(out, len, "%s/layers/sha256/%s", root, digest + 7) ||
	    blob_path(blob, sizeof(blob), root, digest) ||
	    pathf(tmp, sizeof(tmp), "%s/tmp/layer-XXXXXX", root))
		return errf(err, ENAMETOOLONG, "%s: path too long", root);
	if (!stat(out, &st) && S_ISDIR(st.st_mode))
		return 0;
	if (!mkdtemp(tmp))
		return errf(err, errno, "cannot make %s: %s", tmp, strerror(errno));
	chmod(tmp, 0755);
	ret = untar(blob, tmp, true, err);
	if (!ret && rename(tmp, out)) {
		if (errno != EEXIST && errno != ENOTEMPTY) /* else another caller was first */
			ret = errf(err, errno, "cannot move %s to %s: %s", tmp, out,
				   strerror(errno));
	}
	if (ret || !access(tmp, F_OK))
		rm_rf(tmp);
	return ret;
}

int image_layers(const char *root, const char *ref, char ***dirs, size_t *n, char *err)
{
	char rroot[PATH_MAX], path[PATH_MAX];
	struct image_info info;
	json_t *layers = NULL, *l;
	int lock, ret;
	size_t i;

	*dirs = NULL;
	*n = 0;
	if (!realpath(root, rroot))
		return image_lookup(root, ref, &info, err);
	lock = store_lock(rroot, false, err);
	if (lock < 0)
		return image_lookup(root, ref, &info, err);
	ret = lookup_locked(rroot, ref, &info, err);
	if (!ret)
		layers = manifest_layers(rroot, info.manifest, err, &ret);
	if (layers) {
		*dirs = calloc(json_array_size(layers) + 1, sizeof(**dirs));
		if (!*dirs)
			ret = errf(err, ENOMEM, "out of memory");
	}
	json_array_foreach(layers, i, l) {
		if (ret)
			break;
		ret = unpack_layer(rroot, json_string_value(json_object_get(l, "digest")), path,
				   sizeof(path), err);
		if (!ret && !((*dirs)[(*n)++] = strdup(path)))
			ret = errf(err, ENOMEM, "out of memory");
	}
	json_decref(layers);
	store_unlock(lock);
	if (ret) {
		image_free_strv(*dirs);
		*dirs = NULL;
		*n = 0;
	}
	return ret;
}

int image_lowerdir(const char *root, const char *ref, char *out, size_t len, char *err)
{
	size_t n, i, used = 0;
	char **dirs;
	int ret;

	ret = image_layers(root, ref, &dirs, &n, err);
	if (ret)
		return ret;
	if (!n)
		ret = errf(err, EINVAL, "image %s has no layers", ref);
	if (len)
		out[0] = 0;
	for (i = n; !ret && i-- > 0;) {
		int w = snprintf(out + used, len - used, "%s%s", i == n - 1 ? "" : ":", dirs[i]);

		if (w < 0 || (size_t)w >= len - used)
			ret = errf(err, ENAMETOOLONG, "image %s: lowerdir list too long", ref);
		else
			used += w;
	}
	image_free_strv(dirs);
	return ret;
}

static char **strv_from_json(const json_t *a)
{
	const json_t *s;
	char **v;
	size_t i;

	if (!json_is_array(a))
		return NULL;
	v = calloc(json_array_size(a) + 1, sizeof(*v));
	json_array_foreach(a, i, s)
		if (v)
			v[i] = strdup(json_string_value(s) ?: "");
	return v;
}

static char *str_or_null(const json_t *s)
{
	const char *v = json_string_value(s);

	return v && *v ? strdup(v) : NULL;
}

int image_config(const char *root, const char *ref, struct image_config *cfg, char *err)
{
	struct image_info info;
	json_t *blob, *c;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = image_lookup(root, ref, &info, err);
	if (ret)
		return ret;
	blob = load_blob_json(root, info.config, err, &ret);
	if (!blob)
		return ret;
	c = json_object_get(blob, "config");
	cfg->env = strv_from_json(json_object_get(c, "Env"));
	if (!cfg->env)
		cfg->env = calloc(1, sizeof(*cfg->env));
	cfg->entrypoint = strv_from_json(json_object_get(c, "Entrypoint"));
	cfg->cmd = strv_from_json(json_object_get(c, "Cmd"));
	cfg->working_dir = str_or_null(json_object_get(c, "WorkingDir"));
	cfg->user = str_or_null(json_object_get(c, "User"));
	json_decref(blob);
	return 0;
}

void image_config_free(struct image_config *cfg)
{
	image_free_strv(cfg->env);
	image_free_strv(cfg->entrypoint);
	image_free_strv(cfg->cmd);
	free(cfg->working_dir);
	free(cfg->user);
	memset(cfg, 0, sizeof(*cfg));
}
