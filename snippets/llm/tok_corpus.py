"""分词实验用的小语料：中英文各若干段，由本站作者自写（不来自任何数据集），训练与留出各一半。"""

EN_TRAIN = [
    "A tokenizer turns raw text into a sequence of integers that a language model can read.",
    "Byte pair encoding starts from single bytes and repeatedly merges the most frequent adjacent pair.",
    "Every merge adds one new token to the vocabulary and is recorded in the merge table.",
    "When the training loop stops, the merge table is all we need to encode new text.",
    "The model never sees characters directly; it only sees token ids and their embeddings.",
    "A larger vocabulary makes sequences shorter, but the embedding matrix and the output layer grow.",
    "Short sequences are cheaper to process because attention cost grows with the square of the length.",
    "Rare words are split into several pieces, while common words usually become a single token.",
    "Numbers are tricky: some tokenizers split them into single digits, others into groups of three.",
    "Code contains long runs of spaces, so good tokenizers learn tokens for indentation.",
    "The training corpus decides which merges are learned, so a tokenizer trained on English text",
    "will spend most of its vocabulary on English words and very little on other languages.",
    "We train the tokenizer once, save the merges, and reuse them for every model in the family.",
    "Special tokens such as the end of text marker are added after training and never merged.",
    "A chat template wraps each message with role markers before the text is tokenized.",
    "If the template at inference differs from the one used in training, the model gets confused.",
    "The quick brown fox jumps over the lazy dog while the tokenizer counts every pair of bytes.",
    "Interviewers like to ask how the merges are applied when we encode a sentence the model has never seen.",
    "The answer is that merges are applied in the order they were learned, which is their rank.",
    "Decoding simply concatenates the bytes of each token and interprets the result as text.",
]

EN_HELDOUT = [
    "Subword units let a model handle words it has never seen by building them from smaller pieces.",
    "Training a tokenizer on a balanced mix of languages keeps the cost of each language closer.",
    "The vocabulary size is a trade off between sequence length and the number of parameters.",
    "A merge table learned from bytes can encode any string, including emoji and symbols.",
    "Long documents become shorter after tokenization, and the model can read more of them at once.",
    "Most modern language models use a vocabulary of one hundred thousand tokens or more.",
    "Engineers check the tokenizer carefully, because a small mistake changes every training example.",
    "When a word appears often in the corpus, it usually ends up as one token in the final vocabulary.",
]

ZH_TRAIN = [
    "分词器把一段原始文本变成一串整数，语言模型只认识这些整数。",
    "字节对编码从单个字节出发，反复把出现次数最多的相邻两个符号合并成一个新符号。",
    "每合并一次，词表就多一个新的词元，这条合并规则也被记录下来。",
    "训练结束后，只要保存合并规则，就能对没见过的文本进行编码。",
    "模型并不直接看到汉字，它看到的是词元编号和对应的向量。",
    "词表越大，序列越短，但是词向量矩阵和输出层的参数也越多。",
    "序列越短，计算越便宜，因为注意力的计算量随长度的平方增长。",
    "常用的词往往被合并成一个词元，生僻的字会被拆成好几个字节。",
    "一个汉字在 UTF-8 编码下占三个字节，所以字节级分词器最初要用三个词元表示一个汉字。",
    "训练语料决定了学到哪些合并规则，中文语料越多，中文词元就越多。",
    "如果训练语料几乎都是英文，那么中文句子会被切成很多碎片，推理成本也会变高。",
    "我们今天学习字节级分词器的训练过程，先统计相邻字节对的频率，再合并最频繁的一对。",
    "特殊词元在训练之后单独加入词表，它们不会参与合并。",
    "对话模板在每条消息前后加上角色标记，然后再进行分词。",
    "如果推理时使用的模板和训练时不同，模型的回答质量会明显下降。",
    "大模型面试经常问分词器怎么训练，编码时合并规则按什么顺序使用。",
    "答案是按照学到合并规则的先后顺序，也就是它们的排名，依次使用。",
    "解码时把每个词元对应的字节拼接起来，再按照 UTF-8 还原成文字。",
    "数字的切分方式会影响算术能力，有的分词器把数字逐位切开，有的每三位一组。",
    "代码里有很多连续的空格，好的分词器会为缩进学到专门的词元。",
]

ZH_HELDOUT = [
    "子词单元让模型能够处理从没见过的词，因为它可以用更小的片段拼出来。",
    "在多种语言均衡的语料上训练分词器，可以让不同语言的使用成本更接近。",
    "词表大小是在序列长度和参数数量之间做取舍。",
    "从字节学到的合并规则可以编码任何字符串，包括表情符号和各种标点。",
    "长文档经过分词之后会变短，模型一次就能读到更多的内容。",
    "现在的大语言模型大多使用十万以上规模的词表。",
    "工程师会仔细检查分词器，因为一个小错误会改变每一条训练样本。",
    "一个词在语料中出现得越多，越可能在最终的词表里成为一个词元。",
]
