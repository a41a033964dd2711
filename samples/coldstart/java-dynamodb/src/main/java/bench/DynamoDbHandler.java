package bench;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;

/**
 * The real workload of the cold-start benchmark, as on every runtime: per invoke one PutItem of
 * {pk: id, payload, ts} into the table named by TABLE_NAME, then a consistent GetItem of the same key; it answers
 * {"id", "found", "payload"}. Event: {"id": "bench-1", "payload": "..."}; id defaults to "default", payload to
 * "hello". Lambda handler: {@code bench.DynamoDbHandler::handleRequest}.
 *
 * The client is built once, when Lambda loads the class (Init), the way Java functions are written. Region,
 * credentials and endpoint come from the SDK's standard configuration: AWS_REGION, the credential chain, and
 * AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL when set (the benchmark points those at a local moto_server).
 */
public class DynamoDbHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private static final String TABLE = tableName();
    private static final DynamoDbClient DYNAMODB = DynamoDbClient.builder()
        .httpClient(UrlConnectionHttpClient.create())
        .build();

    private static String tableName() {
        String name = System.getenv("TABLE_NAME");
        if (name == null || name.isBlank()) {
            throw new IllegalStateException("TABLE_NAME is not set: set it to the name of a DynamoDB table whose "
                + "partition key is 'pk' (type S)");
        }
        return name;
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        String id = text(event, "id", "default");
        String payload = text(event, "payload", "hello");
        Map<String, AttributeValue> key = Map.of("pk", AttributeValue.fromS(id));

        Map<String, AttributeValue> item = new HashMap<>(key);
        item.put("payload", AttributeValue.fromS(payload));
        item.put("ts", AttributeValue.fromN(Long.toString(System.currentTimeMillis())));
        DYNAMODB.putItem(request -> request.tableName(TABLE).item(item));

        GetItemResponse read = DYNAMODB.getItem(request -> request.tableName(TABLE).key(key).consistentRead(true));
        Map<String, Object> answer = new HashMap<>();
        answer.put("id", id);
        answer.put("found", read.hasItem() && !read.item().isEmpty());
        AttributeValue stored = read.hasItem() ? read.item().get("payload") : null;
        answer.put("payload", stored == null ? null : stored.s());
        return answer;
    }

    private static String text(Map<String, Object> event, String field, String fallback) {
        Object value = event == null ? null : event.get(field);
        return value instanceof String && !((String) value).isEmpty() ? (String) value : fallback;
    }
}
