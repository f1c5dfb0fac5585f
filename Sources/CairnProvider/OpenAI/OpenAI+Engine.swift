import CairnInference
import CairnWire
import CairnPrimitives
import CairnMarket

extension ChatRequestMessage {
    /// The engine's form of the message.
    var chatMessage: ChatMessage { ChatMessage(role: role == "developer" ? "system" : role, content: renderedContent) }
}

extension ModelListBody {
    /// The models this provider serves, with their registry ids, context lengths and prices.
    init(models: [ServedModel], owner: String, created: Int) {
        self.init(data: models.map {
            Item(id: $0.name, created: created, ownedBy: owner,
                 cairn: Details(modelID: $0.modelID, contextLength: $0.contextLength,
                                promptPerMillion: $0.price.promptPerMillion.description,
                                completionPerMillion: $0.price.completionPerMillion.description,
                                embeddingPerMillion: $0.price.embeddingPerMillion.description))
        })
    }
}
