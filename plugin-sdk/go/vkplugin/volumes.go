package vkplugin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
)

// defaultTokenSeconds is a projected token's lifetime when the volume does
// not say (the API server's default expirationSeconds).
const defaultTokenSeconds = 3600

// VolumeFile is one file of a volume. Its String never shows the contents.
type VolumeFile struct {
	// Path relative to the volume's root, e.g. "token" or "conf/app.yaml".
	Path string
	// Contents may be secret: never log them.
	Contents []byte
	// Mode: items[].mode, else the volume's defaultMode, else 0644.
	Mode int32
}

// String names the file and its size.
func (f VolumeFile) String() string {
	return fmt.Sprintf("VolumeFile{%s, %d bytes, mode %o}", f.Path, len(f.Contents), f.Mode)
}

// VolumeVersions is what a volume's files were built from, to notice
// changes on re-fetch (the proto's update rule): "Kind/name" to
// resourceVersion, and the earliest token expiry (Unix seconds, 0 if none).
type VolumeVersions struct {
	Objects             map[string]string
	TokenExpiresUnixSec int64
}

// VolumeFiles builds the files of volume of pod the way the kubelet does,
// from data fetched through host: `secret`, `configMap` and `projected`
// volumes (secret, configMap, serviceAccountToken and downwardAPI metadata
// sources: the `kube-api-access-*` volume Kubernetes injects is one). ok is
// false for other volume types (emptyDir, hostPath...: the plugin's own).
// A required object that does not exist is a NOT_FOUND error, a required
// key missing from it FAILED_PRECONDITION: the pod cannot start yet.
func VolumeFiles(ctx context.Context, host *HostClient, pod *corev1.Pod, volume corev1.Volume) (files []VolumeFile, versions VolumeVersions, ok bool, err error) {
	b := volumeBuilder{ctx: ctx, host: host, pod: pod, versions: VolumeVersions{Objects: map[string]string{}}}
	switch {
	case volume.Secret != nil:
		s := volume.Secret
		err = b.secret(s.SecretName, s.Items, modeOr(s.DefaultMode), s.Optional)
	case volume.ConfigMap != nil:
		c := volume.ConfigMap
		err = b.configMap(c.Name, c.Items, modeOr(c.DefaultMode), c.Optional)
	case volume.Projected != nil:
		err = b.projected(volume.Projected)
	default:
		return nil, VolumeVersions{}, false, nil
	}
	if err != nil {
		return nil, VolumeVersions{}, true, err
	}
	return b.files, b.versions, true, nil
}

type volumeBuilder struct {
	ctx      context.Context
	host     *HostClient
	pod      *corev1.Pod
	files    []VolumeFile
	versions VolumeVersions
}

func modeOr(mode *int32) int32 {
	if mode != nil {
		return *mode
	}
	return 0o644
}

// missingOptional: NOT_FOUND of an optional source means "no data".
func missingOptional(err error, optional *bool) bool {
	return status.Code(err) == codes.NotFound && optional != nil && *optional
}

func (b *volumeBuilder) secret(name string, items []corev1.KeyToPath, mode int32, optional *bool) error {
	secret, err := b.host.GetSecret(b.ctx, b.pod, name)
	if missingOptional(err, optional) {
		return nil
	}
	if err != nil {
		return err
	}
	b.versions.Objects["Secret/"+name] = secret.ResourceVersion
	return b.project(secret.Data, items, mode, "Secret", name, optional)
}

func (b *volumeBuilder) configMap(name string, items []corev1.KeyToPath, mode int32, optional *bool) error {
	configMap, err := b.host.GetConfigMap(b.ctx, b.pod, name)
	if missingOptional(err, optional) {
		return nil
	}
	if err != nil {
		return err
	}
	b.versions.Objects["ConfigMap/"+name] = configMap.ResourceVersion
	data := maps.Clone(configMap.BinaryData)
	if data == nil {
		data = map[string][]byte{}
	}
	for key, value := range configMap.Data {
		data[key] = []byte(value)
	}
	return b.project(data, items, mode, "ConfigMap", name, optional)
}

func (b *volumeBuilder) projected(p *corev1.ProjectedVolumeSource) error {
	mode := modeOr(p.DefaultMode)
	for _, source := range p.Sources {
		var err error
		switch {
		case source.Secret != nil:
			err = b.secret(source.Secret.Name, source.Secret.Items, mode, source.Secret.Optional)
		case source.ConfigMap != nil:
			err = b.configMap(source.ConfigMap.Name, source.ConfigMap.Items, mode, source.ConfigMap.Optional)
		case source.ServiceAccountToken != nil:
			err = b.token(source.ServiceAccountToken, mode)
		case source.DownwardAPI != nil:
			err = b.downward(source.DownwardAPI.Items, mode)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *volumeBuilder) token(source *corev1.ServiceAccountTokenProjection, mode int32) error {
	var audiences []string
	if source.Audience != "" {
		audiences = []string{source.Audience}
	}
	seconds := int64(defaultTokenSeconds)
	if source.ExpirationSeconds != nil {
		seconds = *source.ExpirationSeconds
	}
	token, err := b.host.CreateServiceAccountToken(b.ctx, b.pod, audiences, seconds)
	if err != nil {
		return err
	}
	if expires := token.ExpiresAt.Unix(); b.versions.TokenExpiresUnixSec == 0 || expires < b.versions.TokenExpiresUnixSec {
		b.versions.TokenExpiresUnixSec = expires
	}
	b.files = append(b.files, VolumeFile{Path: source.Path, Contents: []byte(token.Token), Mode: mode})
	return nil
}

func (b *volumeBuilder) downward(items []corev1.DownwardAPIVolumeFile, mode int32) error {
	for _, item := range items {
		if item.FieldRef == nil {
			continue
		}
		value, ok := metadataField(b.pod, item.FieldRef.FieldPath)
		if !ok {
			return status.Errorf(codes.InvalidArgument, "downwardAPI field %s is not supported by this helper", item.FieldRef.FieldPath)
		}
		b.files = append(b.files, VolumeFile{Path: item.Path, Contents: []byte(value), Mode: modeOr(item.Mode)})
		if item.Mode == nil {
			b.files[len(b.files)-1].Mode = mode
		}
	}
	return nil
}

// project makes files of an object's data: every key, or only items (to
// their paths).
func (b *volumeBuilder) project(data map[string][]byte, items []corev1.KeyToPath, mode int32, kind, name string, optional *bool) error {
	if len(items) == 0 {
		for _, key := range slices.Sorted(maps.Keys(data)) {
			b.files = append(b.files, VolumeFile{Path: key, Contents: data[key], Mode: mode})
		}
		return nil
	}
	for _, item := range items {
		contents, ok := data[item.Key]
		switch {
		case ok:
			itemMode := mode
			if item.Mode != nil {
				itemMode = *item.Mode
			}
			b.files = append(b.files, VolumeFile{Path: item.Path, Contents: contents, Mode: itemMode})
		case optional != nil && *optional:
		default:
			return status.Errorf(codes.FailedPrecondition, "configured to use key %s of %s %s, which has no such key", item.Key, kind, name)
		}
	}
	return nil
}

// metadataField is a downward-API metadata field a plugin reads from the
// pod itself.
func metadataField(pod *corev1.Pod, path string) (string, bool) {
	pairs := func(m map[string]string) string {
		var lines []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			lines = append(lines, fmt.Sprintf("%s=%q", k, m[k]))
		}
		return strings.Join(lines, "\n")
	}
	switch path {
	case "metadata.namespace":
		return pod.Namespace, true
	case "metadata.name":
		return pod.Name, true
	case "metadata.uid":
		return string(pod.UID), true
	case "metadata.labels":
		return pairs(pod.Labels), true
	case "metadata.annotations":
		return pairs(pod.Annotations), true
	}
	return "", false
}
