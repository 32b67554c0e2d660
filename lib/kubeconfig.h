/* kubeconfig.h — kubeconfig files read as kubectl/client-go read them (YAML or JSON, $KUBECONFIG merging), and written. */
#ifndef KBPF_KUBECONFIG_H
#define KBPF_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * The connection a kubeconfig's context resolves to. Every pointer is owned (freed by
 * kubeconfig_free) and NULL when the file does not set it. Paths are absolute: a
 * relative path in a file is taken from that file's directory, as client-go does.
 */
struct kubeconfig {
	char *server;	 /* "https://10.99.0.1:6443" */
	char *namespace; /* the context's namespace, or "default" */
	char *context, *cluster_name, *user_name;
	char *ca_file; /* certificate-authority: a path, or NULL */
	unsigned char *ca_data; /* certificate-authority-data, decoded PEM, or NULL */
	size_t ca_len;
	char *tls_server_name;
	bool insecure; /* insecure-skip-tls-verify */
	char *token;   /* token, or the content of tokenFile with surrounding whitespace trimmed */
	char *client_cert_file, *client_key_file;
	unsigned char *client_cert_data, *client_key_data;
	size_t client_cert_len, client_key_len;
	char *username, *password;
};

/*
 * Load the kubeconfig and resolve one context.
 *   path: that file alone (it must exist); NULL: the files of $KUBECONFIG, ':'-separated
 *         (missing ones skipped, the first file to name a cluster, user or context, or
 *         to set current-context, wins: client-go's merge), or ~/.kube/config when
 *         $KUBECONFIG is unset or empty.
 *   context: the context to use; NULL: current-context.
 * Files are YAML 1.1 as kubectl reads them (JSON being YAML). The configuration must be
 * usable, as client-go's ConfirmUsable demands: the context, its cluster and its user
 * exist, the cluster has a server, no setting is given both as a file and as data,
 * certificate files are readable, one authentication method at most, and no exec or
 * auth-provider plugin (unsupported here) as the only credential.
 * Returns 0, or a negative errno with err saying which file and what is wrong:
 *   "kubeconfig /x: context \"foo\" not found"                           (-ENOENT)
 *   "kubeconfig /x: line 3 column 5: mapping values are not allowed in this context"
 *                                                                        (-EINVAL)
 *   "kubeconfig /x: no server for cluster \"c\""                          (-EINVAL)
 * On failure *out is left zeroed; kubeconfig_free() on it is harmless either way.
 */
int kubeconfig_load(const char *path, const char *context, struct kubeconfig *out, char *err,
		    size_t err_len);
void kubeconfig_free(struct kubeconfig *kc);

/*
 * Write a one-context kubeconfig (YAML) for server: cluster, user and context all named
 * name ("kbpf" if NULL), current-context set. The CA, client certificate and key files
 * are read and embedded as *-data, so the file stands alone (as kubeadm and kind write
 * theirs); each may be NULL, but a certificate needs its key. token may be NULL. The
 * file is written mode 0600 (it holds credentials) to a temporary file in the same
 * directory, synced and renamed over path, so a reader sees the old file or the new
 * one, never half of one; a missing parent directory is created (0700).
 * Returns 0, -EINVAL for bad arguments, or the errno of the failing file operation.
 */
int kubeconfig_write(const char *path, const char *name, const char *server,
		     const char *ca_pem_file, const char *client_cert_file,
		     const char *client_key_file, const char *token, char *err, size_t err_len);
/* The same, with the context's namespace (NULL or "" for none, meaning "default"). */
int kubeconfig_write_ns(const char *path, const char *name, const char *server,
			const char *namespace, const char *ca_pem_file,
			const char *client_cert_file, const char *client_key_file,
			const char *token, char *err, size_t err_len);

/*
 * YAML to JSON as Kubernetes converts it (sigs.k8s.io/yaml): mappings become objects,
 * sequences arrays; plain scalars resolve by YAML 1.1 rules (null ~ ""; true/false,
 * yes/no, on/off, y/n in their three casings; integers in decimal, 0x, 0o, 0b or
 * leading-0 octal with '_' ignored; floats) while quoted and block scalars, and !!str,
 * stay strings. Anchors, aliases and "<<" merge keys are expanded; non-string keys are
 * written as strings ("1", "true"); a duplicate key is an error. Timestamps, .inf and
 * .nan stay strings (JSON has no such values).
 * yaml_to_json: exactly one document; an empty text gives JSON null.
 * Returns a new reference, or NULL with err saying where and what:
 *   "line 3 column 5: mapping values are not allowed in this context".
 */
json_t *yaml_to_json(const char *text, size_t len, char *err, size_t err_len);

/*
 * Every document of a multi-document stream ("---" separated, as kubectl apply -f
 * reads manifests), as a JSON array; empty and null documents are skipped.
 */
json_t *yaml_to_json_docs(const char *text, size_t len, char *err, size_t err_len);

#endif /* KBPF_KUBECONFIG_H */
