package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;

import dev.podidentity.mutation.PodView;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@link PodView} from a pod's JSON in one streaming pass, keeping only the fields the
 * rules need and skipping everything else without building it.
 *
 * <pre>{@code
 * // from the request bytes, the parser at the pod's first token:
 * PodView pod = PodViewReader.read(parser);
 * }</pre>
 *
 * <p>Mutating webhooks run before the API server validates the object, so the reader is lenient
 * where the rules do not care (an env entry without a name is simply not a name) and strict where a
 * patch would not apply (a {@code containers} field that is not an array). A field that occurs twice
 * counts with its last occurrence, as in a tree; a malformed earlier occurrence still refuses the
 * pod (a denial, never a patch that would not apply).
 *
 * <p>Streaming, not a Jackson tree, because the tree does not fit the in-flight budget's heap: a
 * 3 MiB review of empty containers holds 97 MB as a tree and 38 MB as a view (31 and 12 times the
 * body, where the budget allows for 16, docs/contract.md#limits), a realistic 3 MiB pod 26 MB and
 * 3 MB (benchmarks/README.md, "How the admission path stays fast").
 */
public final class PodViewReader {

    private static final String WINDOWS = "windows";
    private static final String CONTAINERS = "spec.containers";
    private static final String INIT_CONTAINERS = "spec.initContainers";

    private PodViewReader() {
    }

    /**
     * Reads the pod whose first token is the parser's current token, and leaves the parser on the
     * pod's last token, also when the pod is refused: the caller can go on reading the document.
     *
     * @throws UnreadablePodException when the object is not a pod this function can patch
     * @throws IOException when the JSON itself is broken
     */
    public static PodView read(JsonParser parser) throws IOException {
        JsonToken first = parser.currentToken();
        if (first == null || first == JsonToken.VALUE_NULL) {
            throw missing();
        }
        if (first != JsonToken.START_OBJECT) {
            parser.skipChildren();
            throw new UnreadablePodException("request.object must be an object, was " + describe(first));
        }
        JsonStreamContext outside = parser.getParsingContext().getParent();
        try {
            return readPod(parser);
        } catch (UnreadablePodException e) {
            // Wherever inside the pod the problem was found, finish the pod.
            while (parser.getParsingContext() != outside && parser.nextToken() != null) {
                // skipping
            }
            throw e;
        }
    }

    private static UnreadablePodException missing() {
        return new UnreadablePodException(UnreadablePodException.MISSING_OBJECT);
    }

    private static PodView readPod(JsonParser p) throws IOException {
        Metadata metadata = null;
        Spec spec = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "metadata" -> metadata = startObject(p, "metadata") ? readMetadata(p) : null;
                case "spec" -> spec = startObject(p, "spec") ? readSpec(p) : null;
                default -> p.skipChildren();
            }
        }
        if (spec == null) {
            throw new UnreadablePodException("request.object.spec is missing: not a readable Pod");
        }
        if (metadata == null) {
            metadata = new Metadata();
        }
        return new PodView(metadata.name, metadata.generateName, spec.serviceAccountName(), metadata.present,
                metadata.labels, metadata.annotations, spec.volumes, spec.initContainers, spec.containers,
                spec.windowsBySelector || spec.windowsByOs);
    }

    /** {@code metadata} as far as the rules read it. */
    private static final class Metadata {
        boolean present;
        String name;
        String generateName;
        Map<String, String> labels;
        Map<String, String> annotations = Map.of();
    }

    private static Metadata readMetadata(JsonParser p) throws IOException {
        Metadata metadata = new Metadata();
        metadata.present = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "name" -> metadata.name = text(p, "metadata.name");
                case "generateName" -> metadata.generateName = text(p, "metadata.generateName");
                case "labels" -> metadata.labels = startObject(p, "metadata.labels") ? stringMap(p) : null;
                case "annotations" -> metadata.annotations =
                        startObject(p, "metadata.annotations") ? stringMap(p) : Map.of();
                default -> p.skipChildren();
            }
        }
        return metadata;
    }

    /** {@code spec} as far as the rules read it. */
    private static final class Spec {
        String serviceAccountName;
        String serviceAccount;
        /** Why {@code serviceAccount} is unreadable; only fatal when {@code serviceAccountName} is empty. */
        String serviceAccountProblem;
        List<PodView.Volume> volumes;
        List<PodView.Container> initContainers = List.of();
        List<PodView.Container> containers = List.of();
        boolean windowsBySelector;
        boolean windowsByOs;

        /** {@code serviceAccountName}, then {@code serviceAccount}, then {@code default}. */
        String serviceAccountName() {
            if (serviceAccountName != null && !serviceAccountName.isEmpty()) {
                return serviceAccountName;
            }
            if (serviceAccountProblem != null) {
                throw new UnreadablePodException(serviceAccountProblem);
            }
            return serviceAccount == null || serviceAccount.isEmpty() ? "default" : serviceAccount;
        }
    }

    private static Spec readSpec(JsonParser p) throws IOException {
        Spec spec = new Spec();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "serviceAccountName" -> spec.serviceAccountName = text(p, "spec.serviceAccountName");
                case "serviceAccount" -> {
                    spec.serviceAccount = null;
                    spec.serviceAccountProblem = null;
                    if (value == JsonToken.VALUE_STRING) {
                        spec.serviceAccount = p.getText();
                    } else if (value != JsonToken.VALUE_NULL) {
                        spec.serviceAccountProblem = "spec.serviceAccount must be a string, was " + describe(value);
                        p.skipChildren();
                    }
                }
                case "volumes" -> spec.volumes = startArray(p, "spec.volumes") ? readVolumes(p) : null;
                case "initContainers" -> spec.initContainers =
                        startArray(p, INIT_CONTAINERS) ? readContainers(p, INIT_CONTAINERS) : List.of();
                case "containers" -> spec.containers =
                        startArray(p, CONTAINERS) ? readContainers(p, CONTAINERS) : List.of();
                // Not an object: no OS to read (the API server's validation will say more).
                case "nodeSelector" -> spec.windowsBySelector = value == JsonToken.START_OBJECT
                        ? windowsIn(p, "kubernetes.io/os", "beta.kubernetes.io/os") : skip(p);
                case "os" -> spec.windowsByOs = value == JsonToken.START_OBJECT ? windowsIn(p, "name", "name") : skip(p);
                default -> p.skipChildren();
            }
        }
        return spec;
    }

    private static List<PodView.Volume> readVolumes(JsonParser p) throws IOException {
        List<PodView.Volume> volumes = new ArrayList<>();
        for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
            requireObject(p, "spec.volumes", i, null);
            String name = null;
            boolean projected = false;
            Set<String> tokenPaths = Set.of();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "name" -> name = textAt(p, "spec.volumes", i, ".name");
                    case "projected" -> {
                        projected = startObjectAt(p, "spec.volumes", i, ".projected");
                        tokenPaths = projected ? readProjected(p, i) : Set.of();
                    }
                    default -> p.skipChildren();
                }
            }
            volumes.add(new PodView.Volume(name, projected, tokenPaths));
        }
        return volumes;
    }

    /** The {@code path} of each {@code serviceAccountToken} source of a projected volume. */
    private static Set<String> readProjected(JsonParser p, int volume) throws IOException {
        Set<String> paths = new HashSet<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (!field.equals("sources")) {
                p.skipChildren();
                continue;
            }
            paths.clear();
            if (value == JsonToken.VALUE_NULL) {
                continue;
            }
            if (value != JsonToken.START_ARRAY) {
                throw new UnreadablePodException(
                        "spec.volumes[" + volume + "].projected.sources must be an array, was " + describe(value));
            }
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (p.currentToken() != JsonToken.START_OBJECT) {
                    p.skipChildren(); // a source that is not an object projects no token
                    continue;
                }
                String tokenPath = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String sourceField = p.currentName();
                    JsonToken sourceValue = p.nextToken();
                    if (sourceField.equals("serviceAccountToken") && sourceValue == JsonToken.START_OBJECT) {
                        tokenPath = stringField(p, "path");
                    } else {
                        // Anything else, including a token source that is not an object (it projects
                        // no token), is skipped whole, so reading goes on after it.
                        if (sourceField.equals("serviceAccountToken")) {
                            tokenPath = null;
                        }
                        p.skipChildren();
                    }
                }
                if (tokenPath != null) {
                    paths.add(tokenPath);
                }
            }
        }
        return paths;
    }

    private static List<PodView.Container> readContainers(JsonParser p, String array) throws IOException {
        List<PodView.Container> containers = new ArrayList<>();
        for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
            requireObject(p, array, i, null);
            String name = null;
            Set<String> envNames = Set.of();
            boolean hasEnv = false;
            List<PodView.Mount> mounts = List.of();
            boolean hasMounts = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String containerField = p.currentName();
                p.nextToken();
                switch (containerField) {
                    case "name" -> name = textAt(p, array, i, ".name");
                    case "env" -> {
                        hasEnv = startArrayAt(p, array, i, ".env");
                        envNames = hasEnv ? readEnvNames(p, array, i) : Set.of();
                    }
                    case "volumeMounts" -> {
                        hasMounts = startArrayAt(p, array, i, ".volumeMounts");
                        mounts = hasMounts ? readMounts(p, array, i) : List.of();
                    }
                    default -> p.skipChildren();
                }
            }
            containers.add(new PodView.Container(i, name == null ? "" : name, envNames, hasEnv, mounts, hasMounts));
        }
        return containers;
    }

    /** The env names that start with {@link PodView#ENV_PREFIX}; no String is made for the others. */
    private static Set<String> readEnvNames(JsonParser p, String array, int container) throws IOException {
        Set<String> names = null;
        for (int e = 0; p.nextToken() != JsonToken.END_ARRAY; e++) {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                requireObject(p, array, container, ".env[" + e + "]");
            }
            String name = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                boolean isName = p.currentName().equals("name");
                JsonToken value = p.nextToken();
                if (!isName) {
                    p.skipChildren();
                } else if (value == JsonToken.VALUE_STRING) {
                    name = hasEnvPrefix(p) ? p.getText() : null;
                } else {
                    name = text(p, at(array, container, ".env[" + e + "].name"));
                }
            }
            if (name != null) {
                if (names == null) {
                    names = new HashSet<>();
                }
                names.add(name);
            }
        }
        return names == null ? Set.of() : Set.copyOf(names);
    }

    /** Whether the string under the parser starts with the prefix, read from the parser's buffer. */
    private static boolean hasEnvPrefix(JsonParser p) throws IOException {
        String prefix = PodView.ENV_PREFIX;
        if (p.getTextLength() < prefix.length()) {
            return false;
        }
        char[] text = p.getTextCharacters();
        int offset = p.getTextOffset();
        for (int i = 0; i < prefix.length(); i++) {
            if (text[offset + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static List<PodView.Mount> readMounts(JsonParser p, String array, int container) throws IOException {
        List<PodView.Mount> mounts = new ArrayList<>();
        for (int m = 0; p.nextToken() != JsonToken.END_ARRAY; m++) {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                requireObject(p, array, container, ".volumeMounts[" + m + "]");
            }
            String name = null;
            String mountPath = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "name" -> name = p.currentToken() == JsonToken.VALUE_STRING ? p.getText()
                            : text(p, at(array, container, ".volumeMounts[" + m + "].name"));
                    case "mountPath" -> mountPath = p.currentToken() == JsonToken.VALUE_STRING ? p.getText()
                            : text(p, at(array, container, ".volumeMounts[" + m + "].mountPath"));
                    default -> p.skipChildren();
                }
            }
            mounts.add(new PodView.Mount(name, mountPath));
        }
        return mounts;
    }

    /** Whether either field of the object (the parser at its start) is the string {@code windows}. */
    private static boolean windowsIn(JsonParser p, String field, String otherField) throws IOException {
        boolean first = false;
        boolean other = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            boolean windows = value == JsonToken.VALUE_STRING && WINDOWS.equals(p.getText());
            if (name.equals(field)) {
                first = windows;
            } else if (name.equals(otherField)) {
                other = windows;
            }
            p.skipChildren();
        }
        return first || other;
    }

    /** Skips the value under the parser; false. */
    private static boolean skip(JsonParser p) throws IOException {
        p.skipChildren();
        return false;
    }

    /** The last string value of that field of the object (the parser at its start), or null. */
    private static String stringField(JsonParser p, String field) throws IOException {
        String value = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            boolean wanted = p.currentName().equals(field);
            JsonToken token = p.nextToken();
            if (wanted) {
                value = token == JsonToken.VALUE_STRING ? p.getText() : null;
            }
            p.skipChildren();
        }
        return value;
    }

    /** The object's string values (others are not labels or annotations the rules can read). */
    private static Map<String, String> stringMap(JsonParser p) throws IOException {
        Map<String, String> map = new HashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (p.nextToken() == JsonToken.VALUE_STRING) {
                map.put(key, p.getText());
            } else {
                map.remove(key);
                p.skipChildren();
            }
        }
        return map;
    }

    // Checks of the value under the parser. "where" is built only when a check fails.

    private static boolean startObject(JsonParser p, String where) {
        return expect(p, JsonToken.START_OBJECT, where);
    }

    private static boolean startArray(JsonParser p, String where) {
        return expect(p, JsonToken.START_ARRAY, where);
    }

    /** True at the start of that kind of value, false for null, refused otherwise. */
    private static boolean expect(JsonParser p, JsonToken start, String where) {
        JsonToken token = p.currentToken();
        if (token == start) {
            return true;
        }
        if (token == JsonToken.VALUE_NULL) {
            return false;
        }
        throw new UnreadablePodException(where + " must be " + describe(start) + ", was " + describe(token));
    }

    private static boolean startObjectAt(JsonParser p, String array, int index, String field) {
        return p.currentToken() == JsonToken.START_OBJECT
                || p.currentToken() != JsonToken.VALUE_NULL && expect(p, JsonToken.START_OBJECT, at(array, index, field));
    }

    private static boolean startArrayAt(JsonParser p, String array, int index, String field) {
        return p.currentToken() == JsonToken.START_ARRAY
                || p.currentToken() != JsonToken.VALUE_NULL && expect(p, JsonToken.START_ARRAY, at(array, index, field));
    }

    private static void requireObject(JsonParser p, String array, int index, String field) {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new UnreadablePodException(at(array, index, field) + " must be an object, was "
                    + describe(p.currentToken()));
        }
    }

    private static String text(JsonParser p, String where) throws IOException {
        JsonToken token = p.currentToken();
        if (token == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        throw new UnreadablePodException(where + " must be a string, was " + describe(token));
    }

    private static String textAt(JsonParser p, String array, int index, String field) throws IOException {
        JsonToken token = p.currentToken();
        return token == JsonToken.VALUE_STRING ? p.getText() : text(p, at(array, index, field));
    }

    private static String at(String array, int index, String field) {
        return array + "[" + index + "]" + (field == null ? "" : field);
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
