/* test_images.c — unit tests of the node's OCI image store (userspace/images.c): names,
 * import of layouts and archives the test builds itself, digest checks, whiteouts and
 * opaque directories as overlayfs wants them, the image config. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "images.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- names --- */

static const struct {
	const char *in, *full, *familiar;
} names[] = {
	{ "busybox", "docker.io/library/busybox:latest", "busybox:latest" },
	{ "busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36" },
	{ "library/busybox", "docker.io/library/busybox:latest", "busybox:latest" },
	{ "docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest" },
	{ "index.docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest" },
	{ "docker.io/library/busybox:latest", "docker.io/library/busybox:latest",
	  "busybox:latest" },
	{ "user/app:v1", "docker.io/user/app:v1", "user/app:v1" },
	{ "quay.io/coreos/etcd", "quay.io/coreos/etcd:latest", "quay.io/coreos/etcd:latest" },
	{ "localhost:5000/app:dev", "localhost:5000/app:dev", "localhost:5000/app:dev" },
	{ "localhost/app", "localhost/app:latest", "localhost/app:latest" },
	{ "registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9" },
	{ "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	  "docker.io/library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
	  "0123456789abcdef", "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
	  "0123456789abcdef" },
};

static const char *const bad_names[] = {
	"", "BusyBox", "busybox:", "busybox:-x", "busybox@sha256:12", "a//b", "busy box",
	"busybox@md5:0123",
};

static void test_normalize(void **state)
{
	char out[IMAGE_REF_LEN], fam[IMAGE_REF_LEN], err[IMAGE_ERR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		assert_int_equal(image_normalize(names[i].in, out, sizeof(out), err), 0);
		assert_string_equal(out, names[i].full);
		image_familiar(out, fam, sizeof(fam));
		assert_string_equal(fam, names[i].familiar);
	}
	for (i = 0; i < ARRAY_SIZE(bad_names); i++) {
		err[0] = 0;
		assert_int_equal(image_normalize(bad_names[i], out, sizeof(out), err), -EINVAL);
		assert_true(strlen(err) > 0);
	}
}

/* --- building layouts --- */

struct fixture {
	char dir[256];		/* everything below is under it */
	char root[512];		/* the store */
	char layout[512];
	char err[IMAGE_ERR_LEN];
};

static void sha256_hex(const void *buf, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n, i;

	EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL);
	strcpy(out, "sha256:");
	for (i = 0; i < n; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Store BUF as a blob of the layout; its descriptor (a new object) is returned. */
static json_t *put_blob(struct fixture *fx, const char *media_type, const void *buf, size_t len)
{
	char digest[IMAGE_DIGEST_LEN], path[PATH_MAX];

	sha256_hex(buf, len, digest);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", fx->layout, digest + 7);
	write_file(path, buf, len);
	return json_pack("{s:s,s:s,s:I}", "mediaType", media_type, "digest", digest, "size",
			 (json_int_t)len);
}

static json_t *put_json_blob(struct fixture *fx, const char *media_type, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_t *d = put_blob(fx, media_type, s, strlen(s));

	free(s);
	json_decref(j);
	return d;
}

struct tar_entry {
	const char *path;
	char type;		/* 'f' file, 'd' directory, 'l' symlink, 'h' hard link */
	const char *data;	/* file content or link target */
};

/* A layer tar in memory, gzip-compressed or not. */
static json_t *put_layer(struct fixture *fx, const struct tar_entry *es, size_t n, bool gz)
{
	size_t cap = 1 << 20, used = 0, i;
	char *buf = malloc(cap);
	struct archive *a = archive_write_new();
	json_t *d;

	assert_non_null(buf);
	archive_write_set_format_pax_restricted(a);
	if (gz)
		archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, es[i].path);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_mtime(e, 1, 0);
		switch (es[i].type) {
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, es[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_hardlink(e, es[i].data);
			break;
		default:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, strlen(es[i].data));
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (es[i].type == 'f')
			archive_write_data(a, es[i].data, strlen(es[i].data));
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	d = put_blob(fx, gz ? "application/vnd.oci.image.layer.v1.tar+gzip" :
			  "application/vnd.oci.image.layer.v1.tar", buf, used);
	free(buf);
	return d;
}

/* Base layer: a/x, a/y, o/old, etc/passwd, bin/sh -> busybox, a hard link. */
static const struct tar_entry layer1[] = {
	{ "./", 'd', NULL },
	{ "a/", 'd', NULL },
	{ "a/x", 'f', "x1" },
	{ "a/y", 'f', "y1" },
	{ "o/", 'd', NULL },
	{ "o/old", 'f', "old" },
	{ "etc/", 'd', NULL },
	{ "etc/passwd", 'f', "root:x:0:0:root:/root:/bin/sh\n" },
	{ "bin/", 'd', NULL },
	{ "bin/busybox", 'f', "#!fake" },
	{ "bin/sh", 'l', "busybox" },
	{ "bin/ash", 'h', "bin/busybox" },
};

/* Upper layer: deletes a/x, makes o/ opaque (only o/new stays), adds /new. */
static const struct tar_entry layer2[] = {
	{ "a/.wh.x", 'f', "" },
	{ "o/", 'd', NULL },
	{ "o/.wh..wh..opq", 'f', "" },
	{ "o/new", 'f', "new" },
	{ "/new", 'f', "top" },
};

static json_t *image_config_json(void)
{
	return json_pack("{s:s,s:s,s:{s:[s,s],s:[s],s:[s,s],s:s,s:s},s:{s:s,s:[]}}",
			 "architecture", "amd64", "os", "linux", "config", "Env", "PATH=/bin",
			 "FOO=bar", "Entrypoint", "/bin/sh", "Cmd", "-c", "echo hi",
			 "WorkingDir", "/a", "User", "1000:1000", "rootfs", "type", "layers",
			 "diff_ids");
}

/* A two-layer image manifest (uncompressed base, gzip top); its descriptor. */
static json_t *put_manifest(struct fixture *fx)
{
	json_t *cfg = put_json_blob(fx, "application/vnd.oci.image.config.v1+json",
				    image_config_json());
	json_t *l1 = put_layer(fx, layer1, ARRAY_SIZE(layer1), false);
	json_t *l2 = put_layer(fx, layer2, ARRAY_SIZE(layer2), true);

	return put_json_blob(fx, "application/vnd.oci.image.manifest.v1+json",
			     json_pack("{s:i,s:s,s:o,s:[o,o]}", "schemaVersion", 2, "mediaType",
				       "application/vnd.oci.image.manifest.v1+json", "config", cfg,
				       "layers", l1, l2));
}

/* index.json listing DESCS (each gets ref.name REF_NAME when not NULL). */
static void write_index(struct fixture *fx, json_t *desc, const char *ref_name)
{
	char path[PATH_MAX];
	json_t *idx;

	if (ref_name)
		json_object_set_new(desc, "annotations",
				    json_pack("{s:s}", "org.opencontainers.image.ref.name",
					      ref_name));
	idx = json_pack("{s:i,s:[o]}", "schemaVersion", 2, "manifests", desc);
	snprintf(path, sizeof(path), "%s/index.json", fx->layout);
	assert_int_equal(json_dump_file(idx, path, 0), 0);
	json_decref(idx);
	snprintf(path, sizeof(path), "%s/oci-layout", fx->layout);
	write_file(path, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[PATH_MAX];

	strcpy(fx->dir, "/tmp/kbpft-images-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->root, sizeof(fx->root), "%s/store", fx->dir);
	snprintf(fx->layout, sizeof(fx->layout), "%s/layout", fx->dir);
	assert_int_equal(mkdir(fx->layout, 0755), 0);
	snprintf(path, sizeof(path), "%s/blobs", fx->layout);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/blobs/sha256", fx->layout);
	assert_int_equal(mkdir(path, 0755), 0);
	*state = fx;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void import_ok(struct fixture *fx, const char *src, const char *ref, const char *want)
{
	struct image_info *ims;
	size_t n;
	char note[256];
	int ret;

	ret = image_import(fx->root, src, ref, &ims, &n, note, sizeof(note), fx->err);
	if (ret)
		fail_msg("import %s: %s", src, fx->err);
	assert_int_equal(n, 1);
	assert_string_equal(ims[0].tag, strrchr(want, ':') + 1);
	assert_memory_equal(ims[0].name, want, strrchr(want, ':') - want);
	free(ims);
}

static void import_fails(struct fixture *fx, const char *src, const char *ref, const char *msg)
{
	struct image_info *ims = NULL;
	size_t n = 0;
	char note[256];

	fx->err[0] = 0;
	assert_true(image_import(fx->root, src, ref, &ims, &n, note, sizeof(note), fx->err) < 0);
	assert_null(ims);
	if (!strstr(fx->err, msg))
		fail_msg("error '%s' does not say '%s'", fx->err, msg);
}

static size_t count_images(struct fixture *fx)
{
	struct image_info *ims;
	size_t n;

	assert_int_equal(image_list(fx->root, &ims, &n, fx->err), 0);
	free(ims);
	return n;
}

/* --- tests --- */

static void test_layout_import_layers_config(void **state)
{
	struct fixture *fx = *state;
	char **dirs, path[PATH_MAX], val[8], lower[2 * PATH_MAX];
	struct image_config cfg;
	struct stat st;
	size_t n;

	write_index(fx, put_manifest(fx), "app:v1");
	import_ok(fx, fx->layout, NULL, "docker.io/library/app:v1");
	assert_int_equal(count_images(fx), 1);

	assert_int_equal(image_layers(fx->root, "app:v1", &dirs, &n, fx->err), 0);
	assert_int_equal(n, 2);
	/* Base layer: plain files, a symlink, a hard link. */
	snprintf(path, sizeof(path), "%s/a/x", dirs[0]);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	snprintf(path, sizeof(path), "%s/bin/sh", dirs[0]);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	snprintf(path, sizeof(path), "%s/bin/ash", dirs[0]);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	/* Upper layer: a/x whited out as a 0/0 char device, o/ opaque, no .wh. files. */
	snprintf(path, sizeof(path), "%s/a/x", dirs[1]);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
	snprintf(path, sizeof(path), "%s/a/.wh.x", dirs[1]);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/o", dirs[1]);
	assert_int_equal(getxattr(path, "trusted.overlay.opaque", val, sizeof(val)), 1);
	assert_int_equal(val[0], 'y');
	snprintf(path, sizeof(path), "%s/o/.wh..wh..opq", dirs[1]);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/o/new", dirs[1]);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/new", dirs[1]);
	assert_int_equal(access(path, F_OK), 0);

	/* lowerdir: top layer first. */
	assert_int_equal(image_lowerdir(fx->root, "app:v1", lower, sizeof(lower), fx->err), 0);
	snprintf(path, sizeof(path), "%s:%s", dirs[1], dirs[0]);
	assert_string_equal(lower, path);
	image_free_strv(dirs);

	assert_int_equal(image_config(fx->root, "docker.io/library/app:v1", &cfg, fx->err), 0);
	assert_string_equal(cfg.env[0], "PATH=/bin");
	assert_string_equal(cfg.env[1], "FOO=bar");
	assert_null(cfg.env[2]);
	assert_string_equal(cfg.entrypoint[0], "/bin/sh");
	assert_null(cfg.entrypoint[1]);
	assert_string_equal(cfg.cmd[0], "-c");
	assert_string_equal(cfg.cmd[1], "echo hi");
	assert_string_equal(cfg.working_dir, "/a");
	assert_string_equal(cfg.user, "1000:1000");
	image_config_free(&cfg);
}

/* An OCI archive (gzip tar of the layout), as skopeo's oci-archive: writes it. */
static void test_archive_import(void **state)
{
	struct fixture *fx = *state;
	char cmd[3 * PATH_MAX], tarball[PATH_MAX];
	struct image_info info;

	write_index(fx, put_manifest(fx), "registry.local/team/app:2");
	snprintf(tarball, sizeof(tarball), "%s/app.tar.gz", fx->dir);
	snprintf(cmd, sizeof(cmd), "tar -C %s -czf %s .", fx->layout, tarball);
	assert_int_equal(system(cmd), 0);
	import_ok(fx, tarball, NULL, "registry.local/team/app:2");
	/* The archive's temporary unpacking is gone; a second name for the same image. */
	import_ok(fx, tarball, "copy", "docker.io/library/copy:latest");
	assert_int_equal(count_images(fx), 2);
	assert_int_equal(image_lookup(fx->root, "registry.local/team/app:2", &info, fx->err), 0);
	assert_string_equal(info.tag, "2");
	assert_true(info.size > 0);
}

/* A changed byte in a layer is refused and leaves no name behind. */
static void test_digest_mismatch(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX], cmd[PATH_MAX];
	json_t *m = put_manifest(fx), *blob, *layers;
	const char *digest;
	FILE *f;

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", fx->layout,
		 json_string_value(json_object_get(m, "digest")) + 7);
	blob = json_load_file(path, 0, NULL);
	layers = json_object_get(blob, "layers");
	digest = json_string_value(json_object_get(json_array_get(layers, 1), "digest"));
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", fx->layout, digest + 7);
	f = fopen(path, "r+");
	assert_non_null(f);
	fseek(f, 20, SEEK_SET);
	fputc('!', f);
	fclose(f);
	json_decref(blob);
	write_index(fx, m, "app:v1");
	import_fails(fx, fx->layout, NULL, "bad digest");
	assert_int_equal(count_images(fx), 0);
	/* Nor are the blobs copied before the bad one left in the store. */
	snprintf(cmd, sizeof(cmd), "[ -z \"$(ls -A %s/blobs/sha256)\" ]", fx->root);
	assert_int_equal(system(cmd), 0);
	/* And the other way round: a layout without the blob. */
	unlink(path);
	import_fails(fx, fx->layout, NULL, "missing blob");
}

/* Image indexes: linux/amd64 is picked; without one the error names what there is. */
static void test_index_platforms(void **state)
{
	struct fixture *fx = *state;
	json_t *m = put_manifest(fx), *arm = json_deep_copy(m), *idx;
	struct image_info info;

	json_object_set_new(arm, "platform", json_pack("{s:s,s:s}", "os", "linux",
						       "architecture", "arm64"));
	json_object_set_new(m, "platform", json_pack("{s:s,s:s}", "os", "linux",
						     "architecture", "amd64"));
	idx = put_json_blob(fx, "application/vnd.oci.image.index.v1+json",
			    json_pack("{s:i,s:[O,O]}", "schemaVersion", 2, "manifests", arm, m));
	write_index(fx, json_incref(idx), NULL);
	import_ok(fx, fx->layout, "multi:1", "docker.io/library/multi:1");
	assert_int_equal(image_lookup(fx->root, "multi:1", &info, fx->err), 0);
	assert_string_equal(info.digest, json_string_value(json_object_get(idx, "digest")));
	assert_string_equal(info.manifest, json_string_value(json_object_get(m, "digest")));
	json_decref(idx);

	idx = put_json_blob(fx, "application/vnd.oci.image.index.v1+json",
			    json_pack("{s:i,s:[o]}", "schemaVersion", 2, "manifests", arm));
	write_index(fx, idx, NULL);
	import_fails(fx, fx->layout, "armonly:1", "no linux/amd64 manifest");
	import_fails(fx, fx->layout, "armonly:1", "linux/arm64");
	json_decref(m);
}

/* Docker's v2 schema 2 media types (manifest list, manifest, config, layer) import too. */
static void test_docker_media_types(void **state)
{
	struct fixture *fx = *state;
	json_t *cfg, *layer, *m, *list;
	struct image_config c;

	cfg = put_json_blob(fx, "application/vnd.docker.container.image.v1+json",
			    image_config_json());
	layer = put_layer(fx, layer1, ARRAY_SIZE(layer1), true);
	json_object_set_new(layer, "mediaType",
			    json_string("application/vnd.docker.image.rootfs.diff.tar.gzip"));
	m = put_json_blob(fx, "application/vnd.docker.distribution.manifest.v2+json",
			  json_pack("{s:i,s:s,s:o,s:[o]}", "schemaVersion", 2, "mediaType",
				    "application/vnd.docker.distribution.manifest.v2+json",
				    "config", cfg, "layers", layer));
	json_object_set_new(m, "platform", json_pack("{s:s,s:s}", "os", "linux",
						     "architecture", "amd64"));
	list = put_json_blob(fx, "application/vnd.docker.distribution.manifest.list.v2+json",
			     json_pack("{s:i,s:[o]}", "schemaVersion", 2, "manifests", m));
	write_index(fx, list, "docker.io/library/dock:1");
	import_ok(fx, fx->layout, NULL, "docker.io/library/dock:1");
	assert_int_equal(image_config(fx->root, "dock:1", &c, fx->err), 0);
	assert_string_equal(c.cmd[1], "echo hi");
	image_config_free(&c);
}

static void test_bad_sources(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];
	json_t *d;

	snprintf(path, sizeof(path), "%s/junk.tar", fx->dir);
	write_file(path, "this is not a tar archive, not even close......", 48);
	import_fails(fx, path, "x", "not a tar");
	import_fails(fx, fx->layout, "x", "no index.json");
	snprintf(path, sizeof(path), "%s/nowhere", fx->dir);
	import_fails(fx, path, "x", "No such file");
	/* No name anywhere, or only a tag. */
	write_index(fx, put_manifest(fx), NULL);
	import_fails(fx, fx->layout, NULL, "give NAME:TAG");
	write_index(fx, put_manifest(fx), "latest");
	import_fails(fx, fx->layout, NULL, "only the tag 'latest'");
	/* Not an image manifest. */
	d = put_json_blob(fx, "application/vnd.example.thing+json", json_pack("{s:i}", "a", 1));
	write_index(fx, d, NULL);
	import_fails(fx, fx->layout, "x", "unknown media type 'application/vnd.example.thing");
	assert_int_equal(count_images(fx), 0);
	/* An unknown store entry asks for the import command. */
	assert_int_equal(image_lookup(fx->root, "nope", NULL, fx->err), -ENOENT);
	assert_non_null(strstr(fx->err, "kbpfctl image import"));
}

/* Importing another image under a taken name moves it and says so; rm deletes blobs and
 * unpacked layers nothing else uses. */
static void test_replace_and_remove(void **state)
{
	struct fixture *fx = *state;
	struct image_info *ims, a, b;
	char note[512], path[PATH_MAX];
	json_t *m2, *cfg2;
	char **dirs;
	size_t n;

	write_index(fx, put_manifest(fx), "app:v1");
	import_ok(fx, fx->layout, NULL, "docker.io/library/app:v1");
	assert_int_equal(image_lookup(fx->root, "app:v1", &a, fx->err), 0);
	assert_int_equal(image_layers(fx->root, "app:v1", &dirs, &n, fx->err), 0);

	cfg2 = put_json_blob(fx, "application/vnd.oci.image.config.v1+json",
			     json_pack("{s:s,s:s}", "architecture", "amd64", "os", "linux"));
	m2 = put_json_blob(fx, "application/vnd.oci.image.manifest.v1+json",
			   json_pack("{s:i,s:o,s:[o]}", "schemaVersion", 2, "config", cfg2,
				     "layers", put_layer(fx, layer2, ARRAY_SIZE(layer2), false)));
	write_index(fx, m2, "app:v1");
	assert_int_equal(image_import(fx->root, fx->layout, NULL, &ims, &n, note, sizeof(note),
				      fx->err), 0);
	free(ims);
	assert_non_null(strstr(note, "docker.io/library/app:v1 pointed to"));
	assert_non_null(strstr(note, a.digest));
	assert_int_equal(image_lookup(fx->root, "app:v1", &b, fx->err), 0);
	assert_string_not_equal(a.digest, b.digest);
	assert_int_equal(count_images(fx), 1);

	/* The old image's blobs and unpacked layers stay until a remove collects them. */
	assert_int_equal(image_remove(fx->root, "app:v1", fx->err), 0);
	assert_int_equal(count_images(fx), 0);
	assert_int_equal(access(dirs[0], F_OK), -1);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", fx->root, b.config + 7);
	assert_int_equal(access(path, F_OK), -1);
	image_free_strv(dirs);
	assert_int_equal(image_remove(fx->root, "app:v1", fx->err), -ENOENT);
}

/* Layers that try to reach outside their directory are refused and touch nothing. */
static void test_hostile_layers(void **state)
{
	struct fixture *fx = *state;
	char victim[PATH_MAX], keep[PATH_MAX + 8], evil[PATH_MAX + 8];
	struct tar_entry wh[] = { { "etc", 'l', victim }, { "etc/.wh.keep", 'f', "" } };
	struct tar_entry wr[] = { { "etc", 'l', victim }, { "etc/evil", 'f', "x" } };
	struct tar_entry up[] = { { "../evil", 'f', "x" } };
	const struct {
		const struct tar_entry *es;
		size_t n;
		const char *msg;
	} cases[] = {
		{ wh, ARRAY_SIZE(wh), "symlink" },
		{ wr, ARRAY_SIZE(wr), "etc/evil" },
		{ up, ARRAY_SIZE(up), "outside" },
	};
	size_t i, n;
	char **dirs;

	snprintf(victim, sizeof(victim), "%s/victim", fx->dir);
	assert_int_equal(mkdir(victim, 0755), 0);
	snprintf(keep, sizeof(keep), "%s/keep", victim);
	write_file(keep, "precious", 8);
	snprintf(evil, sizeof(evil), "%s/evil", victim);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *cfg = put_json_blob(fx, "application/vnd.oci.image.config.v1+json",
					    json_pack("{s:s}", "os", "linux"));

		write_index(fx, put_json_blob(fx, "application/vnd.oci.image.manifest.v1+json",
					      json_pack("{s:i,s:o,s:[o]}", "schemaVersion", 2,
							"config", cfg, "layers",
							put_layer(fx, cases[i].es, cases[i].n,
								  true))), "evil:1");
		import_ok(fx, fx->layout, NULL, "docker.io/library/evil:1");
		fx->err[0] = 0;
		assert_true(image_layers(fx->root, "evil:1", &dirs, &n, fx->err) < 0);
		if (!strstr(fx->err, cases[i].msg))
			fail_msg("case %zu: error '%s' does not say '%s'", i, fx->err,
				 cases[i].msg);
		assert_int_equal(access(keep, F_OK), 0);
		assert_int_not_equal(access(evil, F_OK), 0);
	}
	snprintf(evil, sizeof(evil), "%s/store/layers/evil", fx->dir);
	assert_int_not_equal(access(evil, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test_setup_teardown(test_layout_import_layers_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_platforms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_docker_media_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_and_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_layers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
