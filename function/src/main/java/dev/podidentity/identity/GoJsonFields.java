package dev.podidentity.identity;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Iterator;
import java.util.Map;

/**
 * Field lookup as Go's {@code encoding/json} does it when decoding into a struct: the key matches
 * the field name in any case. Files written for the AWS webhook rely on it.
 *
 * <pre>{@code
 * GoJsonFields.get(entry, "RoleARN"); // finds "RoleARN", "roleArn" or "rolearn"
 * }</pre>
 */
final class GoJsonFields {

    private GoJsonFields() {
    }

    /** The value of the first member whose name equals {@code name} ignoring case, or {@code null}. */
    static JsonNode get(JsonNode object, String name) {
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> member = it.next();
            if (member.getKey().equalsIgnoreCase(name)) {
                return member.getValue();
            }
        }
        return null;
    }
}
