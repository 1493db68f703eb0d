package dev.podidentity.identity;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Parsing of annotation values exactly as the AWS webhook (written in Go) parses them, so that
 * manifests written for it mean the same here.
 *
 * <pre>{@code
 * AnnotationValues.parseBool("T");        // Optional[true]
 * AnnotationValues.parseBool("yes");      // Optional.empty(): Go's ParseBool refuses it
 * AnnotationValues.parseSeconds("3600");  // Optional[3600]
 * }</pre>
 */
final class AnnotationValues {

    /** What an IAM role ARN looks like; a value that does not match is injected with a warning. */
    public static final Pattern ROLE_ARN = Pattern.compile("^arn:aws[a-z0-9-]*:iam::\\d{12}:role/[\\w+=,.@/-]+$");

    private static final Pattern DECIMAL = Pattern.compile("[+-]?[0-9]{1,19}");

    private AnnotationValues() {
    }

    /** Go's {@code strconv.ParseBool}: {@code 1 t T TRUE true True 0 f F FALSE false False}. */
    public static Optional<Boolean> parseBool(String value) {
        if (value == null) {
            return Optional.empty();
        }
        return switch (value) {
            case "1", "t", "T", "TRUE", "true", "True" -> Optional.of(Boolean.TRUE);
            case "0", "f", "F", "FALSE", "false", "False" -> Optional.of(Boolean.FALSE);
            default -> Optional.empty();
        };
    }

    /** Go's {@code strconv.ParseInt(value, 10, 64)}: optional sign, ASCII digits, no overflow. */
    public static Optional<Long> parseSeconds(String value) {
        if (value == null || !DECIMAL.matcher(value).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(value));
        } catch (NumberFormatException overflow) {
            return Optional.empty();
        }
    }

    /** The value when it has any non-blank content, else empty. */
    public static Optional<String> nonBlank(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }
}
