package k8scheck

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// connectionStringItem is the metadata of a PostgreSQL store that says
// where it connects, as whom. Its name says "secret" to secretLike, but a
// URL without a password is none: the password comes apart, from a
// Secret, in the metadata "password".
const connectionStringItem = "connectionString"

// postgresType is the state store type that k8s/components/postgres
// switches the stores to.
const postgresType = "state.postgresql"

// connectionStringProblems: a connection string written in the manifest
// is a postgres:// URL with no password in it, to a Service port of the
// manifests.
func connectionStringProblems(m *Manifest, obj *unstructured.Unstructured, item map[string]any) []error {
	fail := func(format string, args ...any) []error {
		return []error{fmt.Errorf("%s: metadata %s %s", ID(obj), connectionStringItem, fmt.Sprintf(format, args...))}
	}
	value, _ := item["value"].(string)
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return fail("%q is not a postgres:// URL: one written in the manifest must be, so that it can be seen to hold no password", value)
	}
	if _, has := u.User.Password(); has || u.Query().Has("password") {
		return fail("holds a password: give it in the metadata password, from a Secret")
	}
	host, portText, err := net.SplitHostPort(u.Host)
	if err != nil {
		return fail("%q has no host:port", value)
	}
	svc := m.Services[host]
	port, _ := strconv.Atoi(portText)
	if svc == nil || !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return int(p.Port) == port }) {
		return fail("connects to %s, which is not a Service port of the manifests", u.Host)
	}
	return nil
}

// otherThanHost is a connection string with its host blanked, for
// comparing the cluster's with the local one; anything that is no URL is
// kept as it is.
func otherThanHost(v any) string {
	s, _ := v.(string)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s
	}
	u.Host = "HOST"
	return u.String()
}

// connectionAddress is the host:port of a PostgreSQL store's connection
// string, "" for a component of another type.
func connectionAddress(obj *unstructured.Unstructured) string {
	if typ, _, _ := unstructured.NestedString(obj.Object, "spec", "type"); typ != postgresType {
		return ""
	}
	value, _ := metadataItems(obj)[connectionStringItem]["value"].(string)
	if u, err := url.Parse(value); err == nil {
		return u.Host
	}
	return ""
}

// storeAddresses are the addresses that the stores scoped to appID connect
// to, written in their connection strings, sorted.
func storeAddresses(m *Manifest, appID string) []string {
	var addrs []string
	for _, obj := range m.Dapr {
		if addr := connectionAddress(obj); addr != "" && obj.GetKind() == "Component" && slices.Contains(scopes(obj), appID) {
			addrs = append(addrs, addr)
		}
	}
	slices.Sort(addrs)
	return slices.Compact(addrs)
}

// postgresImage is the name of the image built here from Debian's
// PostgreSQL (devcluster/images): it is in no registry and is never
// pulled.
const postgresImage = "postgres"

// checkPostgres: the development PostgreSQL of k8s/components/postgres,
// when the manifests have it. One replica on a volume; its image the one
// built here, never pulled; its server with no password of its own, taking
// who may connect from a pg_hba.conf of the manifests in which every
// connection proves a password with SCRAM-SHA-256, from anywhere (the
// network policy does the rest); and its init container giving each
// store's role the very password that its Component presents.
func checkPostgres(m *Manifest) []error {
	pg := m.statefulSet("postgres")
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("StatefulSet/postgres: %s", fmt.Sprintf(format, args...)))
	}
	stores := map[string]*unstructured.Unstructured{}
	for _, obj := range m.Dapr {
		if connectionAddress(obj) != "" {
			stores[obj.GetName()] = obj
		}
	}
	if pg == nil {
		if len(stores) > 0 {
			errs = append(errs, fmt.Errorf("the stores %v are on PostgreSQL, but the manifests have no StatefulSet postgres", slices.Sorted(maps.Keys(stores))))
		}
		return errs
	}
	if pg.Spec.Replicas == nil || *pg.Spec.Replicas != 1 {
		fail("want one replica: it is a single server, not a cluster")
	}
	spec := &pg.Spec.Template.Spec
	if len(spec.Containers) != 1 || len(spec.InitContainers) != 1 {
		fail("has %d containers and %d init containers, want the server and the init container that prepares it", len(spec.Containers), len(spec.InitContainers))
		return errs
	}
	server, init := &spec.Containers[0], &spec.InitContainers[0]
	for _, c := range []*corev1.Container{init, server} {
		if imageName(c.Image) != postgresImage || strings.ContainsAny(c.Image, "/:@") {
			fail("container %s runs image %q, want %q: the image built here (devcluster/images), which no registry has", c.Name, c.Image, postgresImage)
		}
		if c.ImagePullPolicy != corev1.PullNever {
			fail("container %s has imagePullPolicy %q, want Never: the image is built here and never pulled", c.Name, c.ImagePullPolicy)
		}
	}

	// The data directory on the claim, in both containers.
	pgdata := envValue(server, "PGDATA")
	if envValue(init, "PGDATA") != pgdata || pgdata == "" {
		fail("PGDATA is %q in %s and %q in %s, want one directory", envValue(init, "PGDATA"), init.Name, pgdata, server.Name)
	}
	for _, c := range []*corev1.Container{init, server} {
		if !slices.ContainsFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool {
			return strings.HasPrefix(pgdata, strings.TrimSuffix(v.MountPath, "/")+"/") && hasClaim(pg, v.Name)
		}) {
			fail("container %s: PGDATA %q is not on the volume claim", c.Name, pgdata)
		}
	}

	// The server: no password, pg_hba.conf from a ConfigMap.
	for _, e := range server.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			fail("container %s: env %s comes from Secret %s: the server needs no password, only the hashes in its data", server.Name, e.Name, e.ValueFrom.SecretKeyRef.Name)
		}
	}
	argv := slices.Concat(server.Command, server.Args)
	if len(argv) == 0 || argv[0] != "postgres" {
		fail("container %s runs %q, want postgres", server.Name, argv)
	}
	hba := ""
	for i, a := range argv {
		if v, ok := strings.CutPrefix(a, "hba_file="); ok && i > 0 && argv[i-1] == "-c" {
			hba = v
		}
	}
	if hba == "" {
		fail("container %s runs without -c hba_file=...: it would take the pg_hba.conf in its data directory, which the manifests do not hold", server.Name)
	} else if content, where, err := mountedConfigMapFile(m, pg, server, hba); err != nil {
		fail("container %s: hba_file %s: %v", server.Name, hba, err)
	} else {
		for _, msg := range hbaProblems(content) {
			fail("%s: %s", where, msg)
		}
	}

	// The init container: the superuser's password, and each store's
	// role's, from the Secret key its Component presents.
	if ref := envSecretRef(init, "POSTGRES_PASSWORD"); ref == nil || !m.hasSecretKey(ref.Name, ref.Key) {
		fail("init container %s: env POSTGRES_PASSWORD must come from a Secret key of the manifests", init.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(stores)) {
		obj := stores[name]
		value, _ := metadataItems(obj)[connectionStringItem]["value"].(string)
		u, err := url.Parse(value)
		if err != nil || u.User.Username() == "" {
			errs = append(errs, fmt.Errorf("%s: metadata %s %q names no role", ID(obj), connectionStringItem, value))
			continue
		}
		role := u.User.Username()
		env := strings.ToUpper(role) + "_PASSWORD"
		presented, _ := metadataItems(obj)["password"]["secretKeyRef"].(map[string]any)
		ref := envSecretRef(init, env)
		if ref == nil || presented == nil || presented["name"] != ref.Name || presented["key"] != ref.Key {
			errs = append(errs, fmt.Errorf("%s: connects as %s with the password of Secret %v key %v, but the init container gives %s its %s from %s",
				ID(obj), role, presented["name"], presented["key"], role, env, describeRef(ref)))
		}
	}
	return errs
}

func describeRef(ref *corev1.SecretKeySelector) string {
	if ref == nil {
		return "no Secret"
	}
	return fmt.Sprintf("Secret %s key %s", ref.Name, ref.Key)
}

// hasClaim tells whether the StatefulSet has a volume claim template name.
func hasClaim(s *appsv1.StatefulSet, name string) bool {
	return slices.ContainsFunc(s.Spec.VolumeClaimTemplates, func(c corev1.PersistentVolumeClaim) bool { return c.Name == name })
}

// mountedConfigMapFile finds the file at path in container c as the key of
// a ConfigMap of the manifests mounted there, and returns its content and
// a name for it.
func mountedConfigMapFile(m *Manifest, s *appsv1.StatefulSet, c *corev1.Container, path string) (string, string, error) {
	for _, mount := range c.VolumeMounts {
		dir := strings.TrimSuffix(mount.MountPath, "/") + "/"
		key, ok := strings.CutPrefix(path, dir)
		if !ok || strings.Contains(key, "/") {
			continue
		}
		for _, v := range s.Spec.Template.Spec.Volumes {
			if v.Name != mount.Name || v.ConfigMap == nil {
				continue
			}
			cm := m.ConfigMaps[v.ConfigMap.Name]
			if cm == nil {
				return "", "", fmt.Errorf("volume %s is ConfigMap %s, which the manifests do not have", v.Name, v.ConfigMap.Name)
			}
			content, ok := cm.Data[key]
			if !ok {
				return "", "", fmt.Errorf("ConfigMap %s has no key %s", cm.Name, key)
			}
			return content, "ConfigMap/" + cm.Name + " " + key, nil
		}
	}
	return "", "", fmt.Errorf("is on no ConfigMap volume of the container")
}

// hbaProblems: every line of a pg_hba.conf asks for SCRAM-SHA-256 (or
// rejects): no trust, no peer, no clear or MD5 password; and the stores
// can connect over IPv4 and IPv6.
func hbaProblems(content string) []string {
	var probs []string
	hosts := map[string]bool{}
	for n, line := range strings.Split(content, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		method := ""
		switch f[0] {
		case "local":
			if len(f) >= 4 {
				method = f[3]
			}
		case "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc":
			if len(f) >= 5 {
				method = f[4]
				if f[1] == "all" && f[2] == "all" && method == "scram-sha-256" {
					hosts[f[3]] = true
				}
			}
		}
		if method != "scram-sha-256" && method != "reject" {
			probs = append(probs, fmt.Sprintf("line %d %q: authentication %q, want scram-sha-256 on every line", n+1, strings.Join(f, " "), method))
		}
	}
	for _, want := range []string{"0.0.0.0/0", "::/0"} {
		if !hosts[want] {
			probs = append(probs, fmt.Sprintf("no line host all all %s scram-sha-256", want))
		}
	}
	return probs
}
