package dev.podidentity.mutation;

/**
 * Member names of the patch, encoded once: each is written several times per container.
 *
 * <pre>{@code
 * out.name(PatchNames.NAME).string("AWS_REGION");
 * }</pre>
 */
final class PatchNames {
    static final JsonBytes.Name OP = JsonBytes.Name.of("op");
    static final JsonBytes.Name PATH = JsonBytes.Name.of("path");
    static final JsonBytes.Name VALUE = JsonBytes.Name.of("value");
    static final JsonBytes.Name NAME = JsonBytes.Name.of("name");
    static final JsonBytes.Name VALUE_FROM = JsonBytes.Name.of("valueFrom");
    static final JsonBytes.Name FIELD_REF = JsonBytes.Name.of("fieldRef");
    static final JsonBytes.Name FIELD_PATH = JsonBytes.Name.of("fieldPath");
    static final JsonBytes.Name MOUNT_PATH = JsonBytes.Name.of("mountPath");
    static final JsonBytes.Name READ_ONLY = JsonBytes.Name.of("readOnly");
    static final JsonBytes.Name PROJECTED = JsonBytes.Name.of("projected");
    static final JsonBytes.Name SOURCES = JsonBytes.Name.of("sources");
    static final JsonBytes.Name SERVICE_ACCOUNT_TOKEN = JsonBytes.Name.of("serviceAccountToken");
    static final JsonBytes.Name AUDIENCE = JsonBytes.Name.of("audience");
    static final JsonBytes.Name EXPIRATION_SECONDS = JsonBytes.Name.of("expirationSeconds");

    private PatchNames() {
    }
}
