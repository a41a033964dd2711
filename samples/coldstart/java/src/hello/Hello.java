package hello;

import java.util.Map;

/**
 * Hello handler for the cold-start benchmark: Java 21 runtime, no dependencies (not even aws-lambda-java-core),
 * compiled with {@code javac --release 17} at synth. Lambda handler: {@code hello.Hello::handleRequest}.
 */
public class Hello {
    public Map<String, String> handleRequest(Map<String, Object> event) {
        Object name = event == null ? null : event.get("name");
        String who = name instanceof String && !((String) name).isBlank() ? ((String) name).trim() : "world";
        return Map.of("message", "Hello, " + who + "!");
    }
}
