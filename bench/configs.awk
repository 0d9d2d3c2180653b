# bench/configs.awk: writes N realistic device configs into DIR, named
# like the service names them (<mac>.json, MACs 02-00-00-xx-xx-xx) and
# formatted as it stores them (2-space indent, final newline). Each file
# has the list fields plus Wi-Fi, MQTT and a list of sensors, grown until
# the file reaches a size drawn uniformly from 400 to 4096 bytes. The seed
# is fixed, so every run benchmarks the same bytes.
#
#   awk -v N=200 -v DIR=/path -f bench/configs.awk
BEGIN {
	srand(20240601)
	split("dht22 bme280 ds18b20 bh1750 sht31 pir relay button", kinds, " ")
	split("living kitchen hall garage attic cellar garden office", rooms, " ")
	for (i = 0; i < N; i++) {
		mac = sprintf("02-00-00-%02x-%02x-%02x", int(i / 65536) % 256, int(i / 256) % 256, i % 256)
		target = 400 + int(rand() * 3697)
		room = rooms[1 + i % 8]
		head = sprintf("{\n  \"deviceName\": \"%s sensor %d\",\n  \"deviceEntityId\": \"sensor.%s_%d\",\n  \"enableOTA\": %s,\n  \"firmware\": \"1.%d.%d\",\n  \"wifi\": {\n    \"ssid\": \"homelab-iot\",\n    \"hostname\": \"esp32-%06x\",\n    \"powerSave\": false\n  },\n  \"mqtt\": {\n    \"broker\": \"mqtt://10.0.0.2:1883\",\n    \"topic\": \"home/%s/%d\",\n    \"qos\": 1,\n    \"retain\": true\n  },\n  \"updateInterval\": %d,\n  \"sensors\": [",
			room, i, room, i, (i % 3 ? "true" : "false"), i % 7, i % 11, i, room, i, 10 + i % 50)
		tail = "\n  ]\n}\n"
		body = ""
		k = 0
		while (length(head) + length(body) + length(tail) < target) {
			kind = kinds[1 + int(rand() * 8)]
			body = body sprintf("%s\n    {\n      \"type\": \"%s\",\n      \"pin\": %d,\n      \"name\": \"%s %s %d\",\n      \"offset\": %.2f,\n      \"enabled\": %s\n    }",
				(k > 0 ? "," : ""), kind, 2 + int(rand() * 38), room, kind, k, rand() * 2 - 1,
				(rand() < 0.9 ? "true" : "false"))
			k++
		}
		file = DIR "/" mac ".json"
		printf "%s%s%s", head, body, tail > file
		close(file)
	}
}
