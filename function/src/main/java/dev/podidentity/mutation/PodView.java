package dev.podidentity.mutation;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The few facts about a pod that the mutation rules read; everything else of the pod is never
 * looked at and never rewritten. The admission package reads one from a review ({@code PodViewReader}).
 *
 * <pre>{@code
 * PodView pod = PodViewReader.read(parser);  // the parser at the pod's first token
 * pod.serviceAccountName();  // "default" when the pod names none
 * pod.windows();             // true for nodeSelector kubernetes.io/os=windows or spec.os.name=windows
 * }</pre>
 *
 * @param name {@code metadata.name}, or {@code null} when the API server will generate it
 * @param generateName {@code metadata.generateName}, or {@code null}
 * @param serviceAccountName the pod's ServiceAccount: {@code serviceAccountName}, then
 *     {@code serviceAccount}, then {@code default}
 * @param hasMetadata whether {@code metadata} is an object
 * @param labels the pod's labels, or {@code null} when it has no {@code labels} object
 * @param annotations the pod's annotations (empty when absent)
 * @param volumes {@code spec.volumes}, or {@code null} when the pod has no such array
 * @param initContainers {@code spec.initContainers} in order (empty when absent)
 * @param containers {@code spec.containers} in order (empty when absent)
 * @param windows whether the pod is scheduled on Windows nodes
 */
public record PodView(String name, String generateName, String serviceAccountName, boolean hasMetadata,
        Map<String, String> labels, Map<String, String> annotations, List<Volume> volumes,
        List<Container> initContainers, List<Container> containers, boolean windows) {

    public PodView {
        labels = labels == null ? null : Map.copyOf(labels);
        annotations = Map.copyOf(annotations);
        volumes = volumes == null ? null : List.copyOf(volumes);
        initContainers = List.copyOf(initContainers);
        containers = List.copyOf(containers);
    }

    /** The name to show in logs: the name, else the {@code generateName} prefix, else empty. */
    public String displayName() {
        if (name != null) {
            return name;
        }
        return generateName != null ? generateName : "";
    }

    /** The volume of that name, if the pod has one. */
    public Optional<Volume> volume(String volumeName) {
        if (volumes != null) {
            for (Volume volume : volumes) {
                if (volumeName.equals(volume.name())) {
                    return Optional.of(volume);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * One entry of {@code spec.volumes}.
     *
     * @param name the volume name
     * @param projected whether it is a {@code projected} volume
     * @param serviceAccountTokenPaths the {@code path} of each {@code serviceAccountToken} source
     */
    public record Volume(String name, boolean projected, Set<String> serviceAccountTokenPaths) {
        public Volume {
            serviceAccountTokenPaths = Set.copyOf(serviceAccountTokenPaths);
        }

        /** Whether this volume projects a ServiceAccount token at that path inside the volume. */
        public boolean projectsServiceAccountToken(String tokenPath) {
            return projected && serviceAccountTokenPaths.contains(tokenPath);
        }
    }

    /**
     * The prefix of every environment variable the rules ask about ({@code AWS_REGION},
     * {@code AWS_ROLE_ARN}, …): a view keeps only env names with it. An application's own variables
     * (often dozens per container) are never looked at, so never kept.
     */
    public static final String ENV_PREFIX = "AWS_";

    /**
     * One container (or init container).
     *
     * @param index its position in its own array
     * @param name the container name
     * @param envNames the names of its {@code env} entries that start with {@link #ENV_PREFIX}
     * @param hasEnv whether it has an {@code env} array
     * @param mounts its {@code volumeMounts}
     * @param hasMounts whether it has a {@code volumeMounts} array
     */
    public record Container(int index, String name, Set<String> envNames, boolean hasEnv, List<Mount> mounts,
            boolean hasMounts) {
        public Container {
            envNames = Set.copyOf(envNames);
            mounts = List.copyOf(mounts);
        }

        /**
         * @param variable a name starting with {@link #ENV_PREFIX}: others are not kept in a view
         * @throws IllegalArgumentException for any other name, rather than a wrong "no"
         */
        public boolean hasEnv(String variable) {
            if (!variable.startsWith(ENV_PREFIX)) {
                throw new IllegalArgumentException(variable + " does not start with " + ENV_PREFIX
                        + ": a PodView does not keep it");
            }
            return envNames.contains(variable);
        }

        // Loops, not streams: called for every container of every admission.
        public boolean hasMountNamed(String volumeName) {
            for (Mount mount : mounts) {
                if (volumeName.equals(mount.name())) {
                    return true;
                }
            }
            return false;
        }

        public boolean hasMountAt(String mountPath) {
            for (Mount mount : mounts) {
                if (mountPath.equals(mount.mountPath())) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * One entry of a container's {@code volumeMounts}.
     *
     * @param name the mounted volume's name
     * @param mountPath where it is mounted
     */
    public record Mount(String name, String mountPath) {
    }
}
