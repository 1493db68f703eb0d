package dev.podidentity.serviceaccount;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.podidentity.config.WatchedFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * ServiceAccounts from a local YAML or JSON file: the embedded default that lets the function run
 * on a laptop with no cluster. The file holds one ServiceAccount, several YAML documents, a JSON
 * array, or a {@code List}/{@code ServiceAccountList} with {@code items}; it is re-read when it
 * changes.
 *
 * <pre>{@code
 * ServiceAccountSource source = ServiceAccountFile.watching(Path.of("examples/service-accounts.yaml"));
 * source.find(new ServiceAccountRef("default", "s3-reader")); // Optional[ServiceAccount[...]]
 * }</pre>
 */
public final class ServiceAccountFile implements ServiceAccountSource {

    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new JsonMapper();

    private final WatchedFile<Map<ServiceAccountRef, ServiceAccount>> file;

    private ServiceAccountFile(WatchedFile<Map<ServiceAccountRef, ServiceAccount>> file) {
        this.file = file;
    }

    /** Watches the file, checking for changes at most once a second. */
    public static ServiceAccountFile watching(Path path) {
        return watching(path, Duration.ofSeconds(1));
    }

    public static ServiceAccountFile watching(Path path, Duration checkInterval) {
        boolean json = path.getFileName().toString().endsWith(".json");
        return new ServiceAccountFile(new WatchedFile<>(path, bytes -> parse(bytes, json), Map.of(), checkInterval,
                System::nanoTime));
    }

    @Override
    public Optional<ServiceAccount> find(ServiceAccountRef ref) {
        return Optional.ofNullable(file.current().get(ref));
    }

    /** Parses the file's content; throws with a message naming the bad entry. */
    static Map<ServiceAccountRef, ServiceAccount> parse(byte[] content, boolean json) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        ObjectMapper mapper = json ? JSON : YAML;
        try (MappingIterator<JsonNode> it = mapper.readerFor(JsonNode.class).readValues(content)) {
            while (it.hasNextValue()) {
                JsonNode document = it.nextValue();
                if (document != null && !document.isNull() && !document.isMissingNode()) {
                    documents.add(document);
                }
            }
        }
        Map<ServiceAccountRef, ServiceAccount> accounts = new HashMap<>();
        for (JsonNode document : documents) {
            collect(document, accounts);
        }
        return Map.copyOf(accounts);
    }

    private static void collect(JsonNode node, Map<ServiceAccountRef, ServiceAccount> accounts) throws IOException {
        if (node.isArray()) {
            for (JsonNode item : node) {
                collect(item, accounts);
            }
            return;
        }
        if (!node.isObject()) {
            throw new IOException("expected a ServiceAccount object, found " + node.getNodeType());
        }
        if (node.has("items")) {
            collect(node.get("items"), accounts);
            return;
        }
        String kind = node.path("kind").asText("ServiceAccount");
        if (!kind.equals("ServiceAccount")) {
            throw new IOException("expected kind ServiceAccount, found " + kind);
        }
        JsonNode metadata = node.path("metadata");
        String name = metadata.path("name").asText("");
        if (name.isEmpty()) {
            throw new IOException("a ServiceAccount has no metadata.name");
        }
        String namespace = metadata.path("namespace").asText("default");
        Map<String, String> annotations = new HashMap<>();
        JsonNode annotationsNode = metadata.path("annotations");
        if (!annotationsNode.isMissingNode() && !annotationsNode.isNull() && !annotationsNode.isObject()) {
            throw new IOException("metadata.annotations of " + namespace + "/" + name + " is not a map");
        }
        annotationsNode.fields().forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
        ServiceAccountRef ref = new ServiceAccountRef(namespace, name);
        if (accounts.put(ref, new ServiceAccount(ref, annotations)) != null) {
            throw new IOException("ServiceAccount " + ref + " appears twice");
        }
    }
}
