package dev.podidentity.mutation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@link PodView} from a pod's JSON tree, touching only the fields the rules need.
 *
 * <pre>{@code
 * PodView pod = PodViewReader.read(review.path("request").path("object"));
 * }</pre>
 *
 * <p>Mutating webhooks run before the API server validates the object, so the reader is lenient
 * where the rules do not care (an env entry without a name is simply not a name) and strict where a
 * patch would not apply (a {@code containers} field that is not an array).
 */
public final class PodViewReader {

    private PodViewReader() {
    }

    /**
     * @throws UnreadablePodException when the object is not a pod this function can patch
     */
    public static PodView read(JsonNode pod) {
        if (pod == null || pod.isMissingNode() || pod.isNull()) {
            throw new UnreadablePodException("request.object is missing: there is no pod to mutate");
        }
        requireObject(pod, "request.object");
        JsonNode metadata = optionalObject(pod, "metadata", "metadata");
        JsonNode spec = pod.get("spec");
        if (spec == null || spec.isNull()) {
            throw new UnreadablePodException("request.object.spec is missing: not a readable Pod");
        }
        requireObject(spec, "spec");

        Map<String, String> labels = null;
        Map<String, String> annotations = Map.of();
        String name = null;
        String generateName = null;
        if (metadata != null) {
            name = optionalText(metadata, "name", "metadata.name");
            generateName = optionalText(metadata, "generateName", "metadata.generateName");
            JsonNode labelsNode = optionalObject(metadata, "labels", "metadata.labels");
            if (labelsNode != null) {
                labels = stringMap(labelsNode);
            }
            JsonNode annotationsNode = optionalObject(metadata, "annotations", "metadata.annotations");
            if (annotationsNode != null) {
                annotations = stringMap(annotationsNode);
            }
        }

        String serviceAccount = optionalText(spec, "serviceAccountName", "spec.serviceAccountName");
        if (serviceAccount == null || serviceAccount.isEmpty()) {
            serviceAccount = optionalText(spec, "serviceAccount", "spec.serviceAccount");
        }
        if (serviceAccount == null || serviceAccount.isEmpty()) {
            serviceAccount = "default";
        }

        return new PodView(name, generateName, serviceAccount, metadata != null, labels, annotations,
                volumes(spec), containers(spec, "initContainers"), containers(spec, "containers"), windows(spec));
    }

    private static List<PodView.Volume> volumes(JsonNode spec) {
        JsonNode array = optionalArray(spec, "volumes", "spec.volumes");
        if (array == null) {
            return null;
        }
        List<PodView.Volume> volumes = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String where = "spec.volumes[" + i + "]";
            JsonNode volume = array.get(i);
            requireObject(volume, where);
            String name = optionalText(volume, "name", where + ".name");
            JsonNode projected = optionalObject(volume, "projected", where + ".projected");
            Set<String> tokenPaths = new HashSet<>();
            if (projected != null) {
                JsonNode sources = optionalArray(projected, "sources", where + ".projected.sources");
                if (sources != null) {
                    for (JsonNode source : sources) {
                        JsonNode token = source.get("serviceAccountToken");
                        if (token != null && token.isObject() && token.path("path").isTextual()) {
                            tokenPaths.add(token.get("path").textValue());
                        }
                    }
                }
            }
            volumes.add(new PodView.Volume(name, projected != null, tokenPaths));
        }
        return volumes;
    }

    private static List<PodView.Container> containers(JsonNode spec, String field) {
        JsonNode array = optionalArray(spec, field, "spec." + field);
        if (array == null) {
            return List.of();
        }
        List<PodView.Container> containers = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String where = "spec." + field + "[" + i + "]";
            JsonNode container = array.get(i);
            requireObject(container, where);
            String name = optionalText(container, "name", where + ".name");

            JsonNode env = optionalArray(container, "env", where + ".env");
            Set<String> envNames = new HashSet<>();
            if (env != null) {
                for (int e = 0; e < env.size(); e++) {
                    JsonNode entry = env.get(e);
                    requireObject(entry, where + ".env[" + e + "]");
                    String envName = optionalText(entry, "name", where + ".env[" + e + "].name");
                    if (envName != null) {
                        envNames.add(envName);
                    }
                }
            }

            JsonNode mountsNode = optionalArray(container, "volumeMounts", where + ".volumeMounts");
            List<PodView.Mount> mounts = new ArrayList<>();
            if (mountsNode != null) {
                for (int m = 0; m < mountsNode.size(); m++) {
                    JsonNode mount = mountsNode.get(m);
                    String at = where + ".volumeMounts[" + m + "]";
                    requireObject(mount, at);
                    mounts.add(new PodView.Mount(optionalText(mount, "name", at + ".name"),
                            optionalText(mount, "mountPath", at + ".mountPath")));
                }
            }
            containers.add(new PodView.Container(i, name == null ? "" : name, envNames, env != null, mounts,
                    mountsNode != null));
        }
        return containers;
    }

    /** {@code nodeSelector} with either OS label equal to {@code windows}, or {@code spec.os.name}. */
    private static boolean windows(JsonNode spec) {
        JsonNode nodeSelector = spec.get("nodeSelector");
        if (nodeSelector != null && nodeSelector.isObject()) {
            if ("windows".equals(nodeSelector.path("kubernetes.io/os").textValue())
                    || "windows".equals(nodeSelector.path("beta.kubernetes.io/os").textValue())) {
                return true;
            }
        }
        JsonNode os = spec.get("os");
        return os != null && os.isObject() && "windows".equals(os.path("name").textValue());
    }

    private static Map<String, String> stringMap(JsonNode object) {
        Map<String, String> map = new HashMap<>();
        object.fields().forEachRemaining(e -> {
            if (e.getValue().isTextual()) {
                map.put(e.getKey(), e.getValue().textValue());
            }
        });
        return map;
    }

    private static void requireObject(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new UnreadablePodException(where + " must be an object, was " + describe(node));
        }
    }

    private static JsonNode optionalObject(JsonNode parent, String field, String where) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        requireObject(node, where);
        return node;
    }

    private static JsonNode optionalArray(JsonNode parent, String field, String where) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray()) {
            throw new UnreadablePodException(where + " must be an array, was " + describe(node));
        }
        return node;
    }

    private static String optionalText(JsonNode parent, String field, String where) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new UnreadablePodException(where + " must be a string, was " + describe(node));
        }
        return node.textValue();
    }

    private static String describe(JsonNode node) {
        JsonNodeType type = node.getNodeType();
        return switch (type) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            default -> type.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
