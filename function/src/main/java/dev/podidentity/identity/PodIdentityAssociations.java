package dev.podidentity.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import dev.podidentity.config.WatchedFile;
import dev.podidentity.serviceaccount.ServiceAccountRef;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The ServiceAccounts associated with EKS Pod Identity, from the container-credentials config file
 * ({@code {"identities":[{"namespace":"ns","serviceAccount":"sa"}]}}), re-read when it changes.
 *
 * <pre>{@code
 * PodIdentityAssociations associations = PodIdentityAssociations.watching(Path.of("/etc/eks/pod-identity.json"));
 * associations.contains(new ServiceAccountRef("payments", "api"));
 * }</pre>
 *
 * <p>A missing file means no association (as in the AWS webhook); a malformed one keeps the previous
 * content. Keys are matched case-insensitively, as Go's JSON decoding does.
 */
public final class PodIdentityAssociations {

    /** Mode off: no ServiceAccount uses Pod Identity. */
    public static final PodIdentityAssociations NONE = new PodIdentityAssociations(null);

    private static final JsonMapper JSON = new JsonMapper();

    private final WatchedFile<Set<ServiceAccountRef>> file;

    private PodIdentityAssociations(WatchedFile<Set<ServiceAccountRef>> file) {
        this.file = file;
    }

    public static PodIdentityAssociations watching(Path path) {
        return watching(path, Duration.ofSeconds(1));
    }

    public static PodIdentityAssociations watching(Path path, Duration checkInterval) {
        return new PodIdentityAssociations(new WatchedFile<>(path, PodIdentityAssociations::parse, Set.of(),
                checkInterval, System::nanoTime));
    }

    public boolean contains(ServiceAccountRef ref) {
        return file != null && file.current().contains(ref);
    }

    static Set<ServiceAccountRef> parse(byte[] content) throws IOException {
        Set<ServiceAccountRef> refs = new HashSet<>();
        if (content.length == 0 || new String(content, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            return Set.of();
        }
        JsonNode root = JSON.readTree(content);
        if (!root.isObject()) {
            throw new IOException("expected an object with \"identities\"");
        }
        JsonNode identities = GoJsonFields.get(root, "identities");
        if (identities == null || identities.isNull()) {
            return Set.of();
        }
        if (!identities.isArray()) {
            throw new IOException("\"identities\" must be an array");
        }
        for (JsonNode identity : identities) {
            JsonNode namespace = identity.isObject() ? GoJsonFields.get(identity, "namespace") : null;
            JsonNode serviceAccount = identity.isObject() ? GoJsonFields.get(identity, "serviceAccount") : null;
            if (namespace == null || !namespace.isTextual() || namespace.textValue().isEmpty()
                    || serviceAccount == null || !serviceAccount.isTextual() || serviceAccount.textValue().isEmpty()) {
                throw new IOException("every identity needs a \"namespace\" and a \"serviceAccount\", found " + identity);
            }
            refs.add(new ServiceAccountRef(namespace.textValue(), serviceAccount.textValue()));
        }
        return Set.copyOf(refs);
    }
}
