/* images.h — the node's local OCI image store: import of OCI archives and layouts,
 * NAME:TAG index, layers unpacked once for use as overlayfs lower directories.
 *
 * Layout under ROOT (default /var/lib/kbpf/images):
 *   blobs/sha256/HEX          content-addressed blobs, verified on import
 *   layers/sha256/HEX/        a layer blob unpacked (whiteouts as 0/0 char devices,
 *                             opaque directories marked trusted.overlay.opaque=y)
 *   index.json                {"images": {"docker.io/library/busybox:latest": {...}}}
 *   tmp/                      staging; nothing here is ever visible as an image
 *
 * Functions return 0 or a negative errno; on error they write a sentence saying what
 * failed, on what and why into err (IMAGE_ERR_LEN bytes). */
#ifndef KBPF_IMAGES_H
#define KBPF_IMAGES_H

#include <stddef.h>

#define IMAGE_ROOT_DEFAULT "/var/lib/kbpf/images"
#define IMAGE_ERR_LEN 512
#define IMAGE_REF_LEN 512
#define IMAGE_DIGEST_LEN 72 /* "sha256:" + 64 hex + NUL */

/* Docker/containerd normalisation: "busybox" -> "docker.io/library/busybox:latest",
 * "user/app:1" -> "docker.io/user/app:1", "quay.io/x/y" -> "quay.io/x/y:latest",
 * "busybox@sha256:HEX" keeps its digest and gets no tag. */
int image_normalize(const char *ref, char *out, size_t len, char *err);

/* The familiar (short) form of a normalised reference: "docker.io/library/busybox:latest"
 * -> "busybox:latest"; "docker.io/user/app:1" -> "user/app:1"; others unchanged. */
void image_familiar(const char *normalized, char *out, size_t len);

struct image_info {
	char name[IMAGE_REF_LEN];	/* normalised repository, without tag */
	char tag[128];
	char digest[IMAGE_DIGEST_LEN];	/* what the name points to (index or manifest) */
	char manifest[IMAGE_DIGEST_LEN];	/* the linux/amd64 manifest */
	char config[IMAGE_DIGEST_LEN];	/* the image config (the image ID) */
	long long size;			/* config + layer blobs, as stored */
};

/* Import an OCI image layout (a directory) or an OCI archive (a tar of one, optionally
 * gzip-compressed) at SRC. REF (NAME[:TAG], may be NULL) names the image; without it the
 * layout's io.containerd.image.name or org.opencontainers.image.ref.name annotation does.
 * Every blob is verified against its digest before the name is written (atomically).
 * The imported images are appended to *out (*nout entries, caller frees *out); a note
 * ("NAME was sha256:..., now ...") is written into note when a name was moved. */
int image_import(const char *root, const char *src, const char *ref, struct image_info **out,
		 size_t *nout, char *note, size_t note_len, char *err);

/* All images, sorted by name and tag (*out freed by the caller). */
int image_list(const char *root, struct image_info **out, size_t *n, char *err);

/* One image by reference (normalised here); -ENOENT with a message naming the import
 * command when it is not in the store. */
int image_lookup(const char *root, const char *ref, struct image_info *info, char *err);

/* Remove a name; blobs and unpacked layers no other name uses are deleted too (unpacked
 * layers that are mounted somewhere are kept). */
int image_remove(const char *root, const char *ref, char *err);

/* The image's layers unpacked (each once, cached by blob digest), bottom layer first:
 * (*dirs)[0] is the base. Free with image_free_strv. */
int image_layers(const char *root, const char *ref, char ***dirs, size_t *n, char *err);

/* overlayfs lowerdir= value for the image: top layer first ("Ln:...:L1"). */
int image_lowerdir(const char *root, const char *ref, char *out, size_t len, char *err);

/* The parts of the image config a runtime needs (NULL/empty when the image has none). */
struct image_config {
	char **env;		/* "KEY=VALUE", NULL-terminated */
	char **entrypoint;	/* NULL-terminated, or NULL */
	char **cmd;		/* NULL-terminated, or NULL */
	char *working_dir;	/* or NULL */
	char *user;		/* or NULL */
};

int image_config(const char *root, const char *ref, struct image_config *cfg, char *err);
void image_config_free(struct image_config *cfg);
void image_free_strv(char **v);

#endif /* KBPF_IMAGES_H */
